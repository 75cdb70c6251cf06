import { map, type OperatorFunction } from 'rxjs';
import { pickKept } from '../core/keep.ts';
import type { Label } from '../records/types.ts';
import type { PromptScores } from './collectPrompt.ts';

export interface KeepConfig {
  /** A pair is decisive when |scoreA − scoreB| > tieEps. */
  tieEps: number;
  keepPerPrompt: number;
  /** Rank decisive pairs by this seeded draw (`keepKeys(seed, run)`) and keep the smallest; absent: the first ones. */
  key?: (pairId: string) => number;
}

/**
 * Turns a complete prompt into its Label: `keepPerPrompt` decisive pairs, drawn
 * by `key` or else the first in pair order (`index`; never by gap size, so the
 * choice never depends on other RMs' scores), chosen = 'A' when scoreA > scoreB. A prompt with no
 * decisive pair still gets a Label (with no pairs), so the trainer knows it is done.
 * Same rule as `keepDecisive` in src/sim/labels.ts, on scores instead of gaps.
 */
export function keepDecisive(cfg: KeepConfig): OperatorFunction<PromptScores, Label> {
  return map((prompt): Label => {
    const decisive = prompt.pairs.filter((p) => p.usable && Math.abs(p.scoreA - p.scoreB) > cfg.tieEps);
    const key = cfg.key;
    const kept = pickKept(decisive, cfg.keepPerPrompt, key && ((p) => key(p.pairId)));
    return {
      run: prompt.run,
      batch: prompt.batch,
      promptId: prompt.promptId,
      promptPairs: prompt.promptPairs,
      pairs: kept.map((p) => ({
        pairId: p.pairId,
        rm: p.rm,
        chosen: p.scoreA > p.scoreB ? 'A' : 'B',
        margin: Math.abs(p.scoreA - p.scoreB),
      })),
    };
  });
}
