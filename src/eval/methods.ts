/**
 * The methods `eval` compares, built from one prior and one seed. Routers
 * implement RoutingPolicy; the K-call labellers are marked `ensemble` and are
 * scored by the loop directly. Method names are the stable ones of `--json`.
 */
import { bayesianRouter, laserRouter, onlineOnlyRouter } from '../core/bandit.ts';
import { fixedPolicy, offlineOnlyPolicy, randomPolicy } from '../core/baselines.ts';
import type { PosteriorConfig } from '../core/posterior.ts';
import type { RoutingPolicy } from '../core/policy.ts';
import { CounterRng } from '../core/rng.ts';

export type EnsembleKind = 'majority-vote' | 'mean-ensemble' | 'oracle';

export type Method =
  | { kind: 'router'; name: string; rmCallsPerPair: 1; policy: RoutingPolicy }
  | { kind: 'ensemble'; name: EnsembleKind; rmCallsPerPair: number };

export const allMethodNames = ['bayesian-router', 'laser', 'random', 'offline-only', 'online-only', 'majority-vote', 'mean-ensemble', 'oracle', 'fixed'] as const;

export interface MethodSetup {
  arms: readonly string[];
  /** Offline RM embeddings e_k, in `arms` order. */
  embeddings: readonly Float64Array[];
  seed: number;
  run: string;
  posterior: PosteriorConfig;
  lag: number;
  /** Subset of allMethodNames (`fixed` = one per RM); default all. */
  only?: readonly string[];
}

export function buildMethods(s: MethodSetup): Method[] {
  const want = (n: string) => !s.only || s.only.includes(n);
  const setup = () => ({ arms: s.arms, embeddings: s.embeddings, rng: new CounterRng(s.seed, s.run), posterior: s.posterior, lag: s.lag, run: s.run });
  const routers: RoutingPolicy[] = [];
  if (want('bayesian-router')) routers.push(bayesianRouter(setup()));
  if (want('laser')) routers.push(laserRouter(setup()));
  if (want('random')) routers.push(randomPolicy(s.arms, new CounterRng(s.seed, s.run)));
  if (want('offline-only')) routers.push(offlineOnlyPolicy(s.arms, s.embeddings));
  if (want('online-only')) routers.push(onlineOnlyRouter(setup()));
  const out: Method[] = routers.map((policy) => ({ kind: 'router', name: policy.name, rmCallsPerPair: 1, policy }));
  for (const name of ['majority-vote', 'mean-ensemble', 'oracle'] as const) {
    if (want(name)) out.push({ kind: 'ensemble', name, rmCallsPerPair: s.arms.length });
  }
  if (want('fixed')) for (const arm of s.arms) out.push({ kind: 'router', name: `fixed:${arm}`, rmCallsPerPair: 1, policy: fixedPolicy(s.arms, arm) });
  return out;
}
