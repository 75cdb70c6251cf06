/**
 * Thompson sampling per pair in the scalar form (docs/algorithm.md [I]): for context
 * x, s_k = <x, μ_k> + sqrt(xᵀ Λ_k⁻¹ x)·ε_k with ε_k ~ N(0,1) keyed by
 * (seed, run, pair id, arm). Same distribution as a full-vector draw for one
 * pair, one normal per arm, O(d²) per arm, and order-free.
 */
import type { ContextBatch } from './context.ts';
import { quadFormsBatch } from './linalg.ts';
import type { ArmPosterior } from './posterior.ts';
import { Stream, hash64, type CounterRng } from './rng.ts';

/** What the router decided for one pair, and why (every arm's mean, std and sample). */
export interface PairChoice {
  pairId: string;
  arm: number;
  means: Float64Array;
  stds: Float64Array;
  /** The score each arm was ranked by: the Thompson sample (or a UCB index, a plain score). */
  samples: Float64Array;
}

/**
 * Index of the largest value. Exact ties go to the larger `tieKey(k)` when one is given (a seeded
 * draw per arm, see `tieKeys`), else to the lowest index. Without a key the pool's order decides
 * ties, which is what made LinUCB's batch 0 (every index equal) lock onto the first-listed RM.
 */
export function argmax(v: ArrayLike<number>, tieKey?: (k: number) => number): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) {
    if (v[k]! > v[best]!) best = k;
    else if (tieKey && v[k] === v[best] && tieKey(k) > tieKey(best)) best = k;
  }
  return best;
}

/**
 * Tie-break keys for one pair: a uniform per (seed, run, pair id, arm NAME), so which tied arm wins
 * depends neither on the pool's order nor on the order pairs arrive in.
 */
export function tieKeys(rng: CounterRng, armSlots: readonly number[]): (pairId: string) => (k: number) => number {
  return (pairId) => (k) => rng.pairUniform(pairId, armSlots[k]!, Stream.tieBreak);
}

/** A 32-bit slot per arm name (for `tieKeys`): the name's hash, not its position. */
export function armSlots(arms: readonly string[]): number[] {
  return arms.map((a) => hash64(`arm/${a}`)[0]);
}

/** Per-arm means and stds for every pair of the batch: means[k][n], stds[k][n]. */
export function armMoments(arms: readonly ArmPosterior[], batch: ContextBatch): { means: Float64Array[]; stds: Float64Array[] } {
  const { X, d } = batch;
  const N = batch.pairIds.length;
  const scratch = new Float64Array(d * 32);
  const means: Float64Array[] = [];
  const stds: Float64Array[] = [];
  for (const arm of arms) {
    const m = new Float64Array(N);
    const s = new Float64Array(N);
    quadFormsBatch(arm.factor, X, N, d, s, scratch);
    for (let n = 0; n < N; n++) {
      m[n] = arm.meanScore(X, n * d);
      s[n] = Math.sqrt(s[n]!);
    }
    means.push(m);
    stds.push(s);
  }
  return { means, stds };
}

/**
 * Route a batch. `bonus(n, k, mean, std)` turns moments into the ranking score:
 * Thompson uses mean + std·ε; LinUCB uses mean + α·std.
 */
export function decideBatch(
  arms: readonly ArmPosterior[],
  batch: ContextBatch,
  score: (pairId: string, k: number, mean: number, std: number) => number,
  tie?: (pairId: string) => (k: number) => number,
): PairChoice[] {
  const { means, stds } = armMoments(arms, batch);
  const K = arms.length;
  return batch.pairIds.map((pairId, n) => {
    const dm = new Float64Array(K);
    const ds = new Float64Array(K);
    const dv = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      dm[k] = means[k]![n]!;
      ds[k] = stds[k]![n]!;
      dv[k] = score(pairId, k, dm[k]!, ds[k]!);
    }
    return { pairId, arm: argmax(dv, tie?.(pairId)), means: dm, stds: ds, samples: dv };
  });
}

/** Thompson sampling for a batch (scalar form). `scale` multiplies the std (1 = exact posterior). */
export function thompsonBatch(
  arms: readonly ArmPosterior[],
  batch: ContextBatch,
  rng: CounterRng,
  scale = 1,
  tie?: (pairId: string) => (k: number) => number,
): PairChoice[] {
  return decideBatch(arms, batch, (pairId, k, mean, std) => mean + scale * std * rng.pairNormal(pairId, k), tie);
}
