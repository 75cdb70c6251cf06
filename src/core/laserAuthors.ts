/**
 * LASeR as its authors run it (docs/algorithm.md, "Baselines"; their public code, LinUCB with α = 0.1):
 * one RM per QUERY (mode 'query') or one RM per BATCH (mode 'batch'), chosen by disjoint LinUCB
 * (A_k = I, b_k = 0) on the query's context; every pair of that query is labelled by it. After the
 * trainer's step the arm is updated with reward = −(mean loss of the query's kept pairs), rescaled by
 * their quantile rule over the raw-reward history (the reward is appended first; fewer than 2 entries:
 * the raw value; below q20 → 0, above q80 → 1, else linear).
 *
 * Differences from their loop, forced by this project's setting: the query context is the mean of the
 * query's pair contexts (pairs, not queries, carry embeddings here); feedback arrives per batch, so
 * a batch is routed with the state at its start (lag 1) and its queries update in query-id order.
 * The per-pair variant of this project (`laser` in bandit.ts) stays beside it under its own name.
 */
import type { ContextBatch } from './context.ts';
import { makeBatch } from './context.ts';
import { quantileSorted } from './normalize.ts';
import type { LearnInput, RoutingPolicy } from './policy.ts';
import { ArmPosterior } from './posterior.ts';
import type { CounterRng } from './rng.ts';
import { armSlots, decideBatch, tieKeys, type PairChoice } from './thompson.ts';

export type LaserMode = 'query' | 'batch';

export interface LaserAuthorsOptions {
  arms: readonly string[];
  d: number;
  mode: LaserMode;
  /** The query a pair belongs to (e.g. its prompt id). */
  queryOf: (pairId: string) => string;
  alpha?: number;
  /** Seeded tie-break among equal indices (batch 0: all arms are equal). */
  tieRng?: CounterRng;
  name?: string;
}

/** Their quantile rule on one raw reward, with `sorted` the history that already holds it. */
export function laserNormalize(sorted: readonly number[], reward: number): number {
  if (sorted.length < 2) return reward;
  const lo = quantileSorted(sorted, 0.2);
  const hi = quantileSorted(sorted, 0.8);
  if (reward < lo) return 0;
  if (reward > hi) return 1;
  // reward == lo == hi: their formula divides 0 by 0; take the midpoint.
  return hi > lo ? (reward - lo) / (hi - lo) : 0.5;
}

function insertSorted(arr: number[], v: number): void {
  let lo = 0,
    hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, v);
}

export class LaserAuthorsPolicy implements RoutingPolicy {
  readonly name: string;
  readonly arms: readonly string[];
  readonly rmCallsPerPair = 1;
  readonly posteriors: ArmPosterior[];
  readonly #o: LaserAuthorsOptions;
  readonly #alpha: number;
  readonly #tie: ((id: string) => (k: number) => number) | undefined;
  /** Raw rewards seen so far, ascending. */
  readonly #history: number[] = [];
  /** Contexts and arms of the queries routed in each batch, for `learn`. */
  readonly #routed = new Map<number, Map<string, { x: Float64Array; arm: number }>>();

  constructor(o: LaserAuthorsOptions) {
    this.#o = o;
    this.name = o.name ?? (o.mode === 'query' ? 'laser-authors' : 'laser-authors-batch');
    this.arms = o.arms;
    this.#alpha = o.alpha ?? 0.1;
    const zeros = new Float64Array(o.d);
    this.posteriors = o.arms.map(() => ArmPosterior.fromPrior(zeros, { lambda0: 1, sigma2: 1, refreshEvery: 2048 }));
    this.#tie = o.tieRng ? tieKeys(o.tieRng, armSlots(o.arms)) : undefined;
  }

  #group(pairId: string): string {
    return this.#o.mode === 'batch' ? 'batch' : this.#o.queryOf(pairId);
  }

  route(t: number, batch: ContextBatch): PairChoice[] {
    const { d } = batch;
    const sums = new Map<string, { x: Float64Array; n: number }>();
    batch.pairIds.forEach((id, n) => {
      const g = this.#group(id);
      let s = sums.get(g);
      if (!s) sums.set(g, (s = { x: new Float64Array(d), n: 0 }));
      for (let i = 0; i < d; i++) s.x[i]! += batch.X[n * d + i]!;
      s.n++;
    });
    const groups = [...sums.keys()].sort();
    const ctx = groups.map((g) => {
      const s = sums.get(g)!;
      return s.x.map((v) => v / s.n);
    });
    // The tie key is per query (its id), so tied arms are drawn once per query, not per pair.
    const picks = decideBatch(
      this.posteriors,
      makeBatch(
        groups.map((g) => `${t}/${g}`),
        ctx,
        d,
      ),
      (_id, _k, mean, std) => mean + this.#alpha * std,
      this.#tie,
    );
    const routed = new Map<string, { x: Float64Array; arm: number }>();
    groups.forEach((g, i) => routed.set(g, { x: ctx[i]!, arm: picks[i]!.arm }));
    this.#routed.set(t, routed);
    return batch.pairIds.map((pairId) => {
      const p = picks[groups.indexOf(this.#group(pairId))]!;
      return { pairId, arm: p.arm, means: p.means, stds: p.stds, samples: p.samples };
    });
  }

  learn(t: number, feedback: readonly LearnInput[]): void {
    const routed = this.#routed.get(t);
    this.#routed.delete(t);
    if (!routed) return;
    const losses = new Map<string, number[]>();
    for (const f of feedback) {
      const g = this.#group(f.pairId);
      losses.set(g, [...(losses.get(g) ?? []), f.loss]);
    }
    // A query with no kept pair trains nothing and updates nothing (their loop skips it).
    for (const g of [...losses.keys()].sort()) {
      const ls = losses.get(g)!;
      const r = -ls.reduce((a, b) => a + b, 0) / ls.length;
      insertSorted(this.#history, r);
      const q = routed.get(g)!;
      this.posteriors[q.arm]!.update(q.x, laserNormalize(this.#history, r));
    }
  }
}
