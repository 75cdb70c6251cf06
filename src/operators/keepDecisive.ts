import { map, type OperatorFunction } from 'rxjs';
import type { Label } from '../records/types.ts';
import type { PromptScores } from './collectPrompt.ts';

export interface KeepConfig {
  /** A pair is decisive when |scoreA − scoreB| > tieEps. */
  tieEps: number;
  keepPerPrompt: number;
}

/**
 * Turns a complete prompt into its Label: the first `keepPerPrompt` decisive
 * pairs in pair order (`index`, never by gap size, so the choice never depends
 * on other RMs' scores), chosen = 'A' when scoreA > scoreB. A prompt with no
 * decisive pair still gets a Label (with no pairs), so the trainer knows it is done.
 * Same rule as `keepDecisive` in src/sim/labels.ts, on scores instead of gaps.
 */
export function keepDecisive(cfg: KeepConfig): OperatorFunction<PromptScores, Label> {
  return map((prompt): Label => {
    const kept = prompt.pairs
      .filter((p) => p.usable && Math.abs(p.scoreA - p.scoreB) > cfg.tieEps)
      .slice(0, cfg.keepPerPrompt);
    return {
      run: prompt.run, batch: prompt.batch, promptId: prompt.promptId, promptPairs: prompt.promptPairs,
      pairs: kept.map((p) => ({ pairId: p.pairId, rm: p.rm, chosen: p.scoreA > p.scoreB ? 'A' : 'B', margin: Math.abs(p.scoreA - p.scoreB) })),
    };
  });
}
