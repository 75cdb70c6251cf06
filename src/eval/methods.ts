/**
 * The methods `eval` compares, built from one prior and one seed. Routers
 * implement RoutingPolicy; the K-call labellers are marked `ensemble` and are
 * scored by the loop directly. Method names are the stable ones of `--json`.
 */
import { bayesianRouter, laserRouter, onlineOnlyRouter } from '../core/bandit.ts';
import { fixedPolicy, offlineOnlyPolicy, randomPolicy } from '../core/baselines.ts';
import { AffineCalibratedPolicy, calibratedRouter } from '../core/calibrated.ts';
import { LaserAuthorsPolicy } from '../core/laserAuthors.ts';
import type { PosteriorConfig } from '../core/posterior.ts';
import type { RoutingPolicy } from '../core/policy.ts';
import { CounterRng } from '../core/rng.ts';

export type EnsembleKind = 'majority-vote' | 'mean-ensemble' | 'oracle';

export type Method =
  | { kind: 'router'; name: string; rmCallsPerPair: 1; policy: RoutingPolicy }
  | { kind: 'ensemble'; name: EnsembleKind; rmCallsPerPair: number };

export const allMethodNames = [
  'bayesian-router',
  'bayesian-router-calibrated',
  'laser',
  'laser-authors',
  'laser-authors-batch',
  'random',
  'offline-only',
  'online-only',
  'majority-vote',
  'mean-ensemble',
  'oracle',
  'fixed',
] as const;

/** The simulator's pair ids are `<prompt id>-r<a>r<b>`: the query a pair belongs to. */
export function promptOfPair(pairId: string): string {
  const i = pairId.lastIndexOf('-');
  return i > 0 ? pairId.slice(0, i) : pairId;
}

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
  /** The query of a pair, for per-query routers (default: the simulator's pair-id scheme). */
  queryOf?: (pairId: string) => string;
}

export function buildMethods(s: MethodSetup): Method[] {
  // Variants outside allMethodNames (e.g. bayesian-router-calibrated-rewards) run only when named.
  const want = (n: string) => (!s.only ? (allMethodNames as readonly string[]).includes(n) : s.only.includes(n));
  // Exact ties (LinUCB's batch 0, equal offline scores) go to a seeded draw per (pair, arm name),
  // never to the first-listed RM.
  const tieRng = () => new CounterRng(s.seed, `${s.run}/tie`);
  const setup = () => ({
    arms: s.arms,
    embeddings: s.embeddings,
    rng: new CounterRng(s.seed, s.run),
    posterior: s.posterior,
    lag: s.lag,
    run: s.run,
    tieRng: tieRng(),
  });
  const d = s.embeddings[0]?.length ?? 0;
  const routers: RoutingPolicy[] = [];
  if (want('bayesian-router')) routers.push(bayesianRouter(setup()));
  // The calibration kept (docs/calibration.md): the affine map of rewards onto the prior's scale.
  if (want('bayesian-router-calibrated')) routers.push(new AffineCalibratedPolicy(setup()));
  if (want('bayesian-router-calibrated-affine-sigma1'))
    routers.push(new AffineCalibratedPolicy(setup(), { noise: 'config', prior: 'config' }, 'bayesian-router-calibrated-affine-sigma1'));
  if (want('bayesian-router-calibrated-affine-eb-noise'))
    routers.push(new AffineCalibratedPolicy(setup(), { prior: 'config' }, 'bayesian-router-calibrated-affine-eb-noise'));
  if (want('bayesian-router-calibrated-offset'))
    routers.push(
      new AffineCalibratedPolicy(setup(), { slope: 'one', noise: 'config', prior: 'config' }, 'bayesian-router-calibrated-offset'),
    );
  if (want('bayesian-router-calibrated-centred')) routers.push(calibratedRouter(setup(), 'centred', 'bayesian-router-calibrated-centred'));
  if (want('laser')) routers.push(laserRouter(setup()));
  for (const mode of ['query', 'batch'] as const) {
    const name = mode === 'query' ? 'laser-authors' : 'laser-authors-batch';
    if (want(name))
      routers.push(new LaserAuthorsPolicy({ arms: s.arms, d, mode, queryOf: s.queryOf ?? promptOfPair, tieRng: tieRng(), name }));
  }
  if (want('random')) routers.push(randomPolicy(s.arms, new CounterRng(s.seed, s.run)));
  if (want('offline-only')) routers.push(offlineOnlyPolicy(s.arms, s.embeddings, tieRng()));
  if (want('online-only')) routers.push(onlineOnlyRouter(setup()));
  const out: Method[] = routers.map((policy) => ({ kind: 'router', name: policy.name, rmCallsPerPair: 1, policy }));
  for (const name of ['majority-vote', 'mean-ensemble', 'oracle'] as const) {
    if (want(name)) out.push({ kind: 'ensemble', name, rmCallsPerPair: s.arms.length });
  }
  if (want('fixed'))
    for (const arm of s.arms) out.push({ kind: 'router', name: `fixed:${arm}`, rmCallsPerPair: 1, policy: fixedPolicy(s.arms, arm) });
  return out;
}
