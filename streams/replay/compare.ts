/**
 * Comparing replayed decisions with recorded ones, bit for bit (Object.is per double: −0 and NaN
 * are told apart from 0 and equal to themselves), in the run's order: batch, prompt, pair index in
 * its generation. No I/O.
 */
import type { PairDecision as Decision } from '../../src/records/decisions.ts';

export interface ArmValues {
  rm: string;
  mean: number;
  std: number;
  sample: number;
}

/** One side of a divergence: what that side decided and with which per-arm values. */
export interface DecisionSide {
  posteriorVersion: number;
  chosenRm: string;
  arms: ArmValues[];
}

export interface Divergence {
  pairId: string;
  batch: number;
  promptId: string;
  /** The fields that differ: `missing` when the replay has no decision for the pair. */
  fields: string[];
  recorded: DecisionSide;
  replayed: DecisionSide | null;
}

export interface Comparison {
  compared: number;
  identical: number;
  /** The first diverging pair in run order, or null when all are identical. */
  first: Divergence | null;
  divergent: number;
}

const sameDoubles = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

export function sideOf(d: Decision): DecisionSide {
  return {
    posteriorVersion: d.posteriorVersion,
    chosenRm: d.chosenRm,
    arms: d.arms.map((rm, k) => ({ rm, mean: d.means[k]!, std: d.stds[k]!, sample: d.samples[k]! })),
  };
}

/** The fields of two decisions of the same pair that differ (empty = identical). */
export function differingFields(a: Decision, b: Decision): string[] {
  const out: string[] = [];
  const scalar = ['batch', 'promptId', 'method', 'seed', 'posteriorVersion', 'chosen', 'chosenRm'] as const;
  for (const f of scalar) if (!Object.is(a[f], b[f])) out.push(f);
  if (a.arms.length !== b.arms.length || a.arms.some((rm, k) => rm !== b.arms[k])) out.push('arms');
  for (const f of ['context', 'means', 'stds', 'samples'] as const) if (!sameDoubles(a[f], b[f])) out.push(f);
  return out;
}

export interface PairOrder {
  batch: number;
  promptId: string;
  index: number;
}

/** Run order of pair ids: batch, then prompt id, then index within the generation. */
export function runOrder(order: ReadonlyMap<string, PairOrder>, pairIds: Iterable<string>): string[] {
  const at = (p: string): PairOrder => order.get(p) ?? { batch: Number.MAX_SAFE_INTEGER, promptId: '', index: 0 };
  return [...pairIds].sort((x, y) => {
    const a = at(x),
      b = at(y);
    return (
      a.batch - b.batch ||
      (a.promptId < b.promptId ? -1 : a.promptId > b.promptId ? 1 : 0) ||
      a.index - b.index ||
      (x < y ? -1 : x > y ? 1 : 0)
    );
  });
}

/** Compares every recorded decision with the replayed one of the same pair. */
export function compareDecisions(
  recorded: ReadonlyMap<string, Decision>,
  replayed: ReadonlyMap<string, Decision>,
  order: ReadonlyMap<string, PairOrder>,
): Comparison {
  let identical = 0;
  let divergent = 0;
  let first: Divergence | null = null;
  for (const pairId of runOrder(order, recorded.keys())) {
    const rec = recorded.get(pairId)!;
    const rep = replayed.get(pairId);
    const fields = rep === undefined ? ['missing'] : differingFields(rec, rep);
    if (fields.length === 0) {
      identical++;
      continue;
    }
    divergent++;
    first ??= {
      pairId,
      batch: rec.batch,
      promptId: rec.promptId,
      fields,
      recorded: sideOf(rec),
      replayed: rep === undefined ? null : sideOf(rep),
    };
  }
  return { compared: recorded.size, identical, divergent, first };
}
