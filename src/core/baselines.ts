/**
 * The non-learning baselines behind the routing interface: one fixed RM,
 * uniform random, and offline-only (argmax of the offline scores, never updated).
 * The K-call labellers (majority vote, mean ensemble, oracle) are in ensembles.ts.
 */
import type { ContextBatch } from './context.ts';
import { RouterError } from './errors.ts';
import { dot } from './linalg.ts';
import type { RoutingPolicy } from './policy.ts';
import { Stream, type CounterRng } from './rng.ts';
import { argmax, armSlots, tieKeys, type PairChoice } from './thompson.ts';

function decision(pairId: string, arm: number, scores: Float64Array): PairChoice {
  return { pairId, arm, means: scores, stds: new Float64Array(scores.length), samples: scores };
}

export function fixedPolicy(arms: readonly string[], rm: string): RoutingPolicy {
  const k = arms.indexOf(rm);
  if (k < 0) throw new RouterError('RR_UNKNOWN_ARM', `unknown RM ${JSON.stringify(rm)}`, { field: 'arm', arm: rm });
  return {
    name: `fixed:${rm}`,
    arms,
    rmCallsPerPair: 1,
    route: (_t, batch) =>
      batch.pairIds.map((id) => {
        const s = new Float64Array(arms.length);
        s[k] = 1;
        return decision(id, k, s);
      }),
    learn: () => {},
  };
}

/** Uniform random RM per pair, keyed by pair id (so it is order-free too). */
export function randomPolicy(arms: readonly string[], rng: CounterRng): RoutingPolicy {
  const K = arms.length;
  return {
    name: 'random',
    arms,
    rmCallsPerPair: 1,
    route: (_t, batch) =>
      batch.pairIds.map((id) => {
        const k = Math.min(K - 1, Math.floor(rng.pairUniform(id, 0, Stream.random) * K));
        const s = new Float64Array(K);
        s[k] = 1;
        return decision(id, k, s);
      }),
    learn: () => {},
  };
}

/** argmax_k <x, e_k>: the offline router alone. */
export function offlineOnlyPolicy(arms: readonly string[], embeddings: readonly ArrayLike<number>[], tieRng?: CounterRng): RoutingPolicy {
  const tie = tieRng ? tieKeys(tieRng, armSlots(arms)) : undefined;
  return {
    name: 'offline-only',
    arms,
    rmCallsPerPair: 1,
    route: (_t, batch: ContextBatch) =>
      batch.pairIds.map((id, n) => {
        const s = new Float64Array(arms.length);
        embeddings.forEach((e, k) => {
          s[k] = dot(batch.X, e, batch.d, n * batch.d, 0);
        });
        return decision(id, argmax(s, tie?.(id)), s);
      }),
    learn: () => {},
  };
}
