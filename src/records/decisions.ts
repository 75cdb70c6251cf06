/**
 * The two shapes of a `decisions` record, and one per-pair view of both. v2 (one record per prompt,
 * the pairs in `pairs`) states the run, batch, prompt, method, seed, posterior version, arms and
 * clock once per prompt instead of once per pair; v1 records (one pair each) still read.
 */
import type { Decision, PairDecisionRecord } from './types.ts';

/** One pair's decision with the prompt's fields: the v1 record shape. */
export type PairDecision = Omit<Decision, 'pairs'>;

/** The pairs of a decisions record (v2: `pairs`; v1: the record itself). */
export function pairDecisions(d: Decision): PairDecision[] {
  if (d.pairs === undefined || d.pairs.length === 0) {
    const { pairs: _legacy, ...one } = d;
    return [one];
  }
  return d.pairs.map((p) => ({
    run: d.run,
    batch: d.batch,
    promptId: d.promptId,
    pairId: p.pairId,
    method: d.method,
    seed: d.seed,
    posteriorVersion: d.posteriorVersion,
    context: p.context,
    arms: d.arms,
    chosen: p.chosen,
    chosenRm: d.arms[p.chosen] ?? '',
    means: p.means,
    stds: p.stds,
    samples: p.samples,
    decidedAtMs: d.decidedAtMs,
  }));
}

/** A v2 record: the prompt's fields once, its pairs in order, the v1 per-pair fields empty. */
export function promptDecision(
  common: Pick<Decision, 'run' | 'batch' | 'promptId' | 'method' | 'seed' | 'posteriorVersion' | 'arms' | 'decidedAtMs'>,
  pairs: PairDecisionRecord[],
): Decision {
  return { ...common, pairId: '', context: [], chosen: 0, chosenRm: '', means: [], stds: [], samples: [], pairs };
}
