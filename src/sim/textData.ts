/**
 * The demo's text data set: the simulator's offline examples (categories and per-RM correctness from
 * the RewardBench 2 profiles) with a prompt and two responses written from the template banks of
 * src/sim/texts.ts. Generated, not downloaded; Apache-2.0 like the repository.
 */
import { generateOfflineFromWorld } from './offline.ts';
import { simPromptText, simResponseText } from './texts.ts';
import type { SimWorld } from './world.ts';

export interface TextDataLine {
  id: string;
  category: string;
  prompt: string;
  responseA: string;
  responseB: string;
  labels: Record<string, 0 | 1>;
}

export function generateTextData(world: SimWorld): TextDataLine[] {
  const seed = world.seed;
  return generateOfflineFromWorld(world).map((ex) => ({
    id: ex.id,
    category: ex.category,
    prompt: simPromptText(ex.category, ex.id, seed),
    responseA: simResponseText(ex.category, ex.id, 0, seed),
    responseB: simResponseText(ex.category, ex.id, 1, seed),
    labels: ex.labels,
  }));
}
