/**
 * The learning routers: BayesianRouter (Thompson sampling with offline priors),
 * online-only (the same with zero priors) and LASeR (disjoint LinUCB). They
 * share the posterior, the delta path and the lag; they differ in prior,
 * selection rule and reward normalization.
 */
import type { ContextBatch } from './context.ts';
import { buildDeltas, type DeltaBatch } from './delta.ts';
import { requireConfig } from './errors.ts';
import { QuantileNormalizer, laserQuantileConfig, type RewardNormalizer } from './normalize.ts';
import type { LearnInput, RoutingPolicy } from './policy.ts';
import { defaultPosteriorConfig, type PosteriorConfig } from './posterior.ts';
import type { CounterRng } from './rng.ts';
import { PosteriorState } from './state.ts';
import { armSlots, decideBatch, thompsonBatch, tieKeys, type PairChoice } from './thompson.ts';

export interface BanditOptions {
  name: string;
  arms: readonly string[];
  /** Prior means e_k (length K, each of length d). */
  priors: readonly ArrayLike<number>[];
  posterior?: PosteriorConfig;
  normalizer?: RewardNormalizer;
  /** 'thompson' (scale = std multiplier) or 'ucb' (alpha). */
  selection: { kind: 'thompson'; scale: number; rng: CounterRng } | { kind: 'ucb'; alpha: number };
  /** Batch t is routed with the feedback of batches ≤ t − lag. */
  lag?: number;
  run?: string;
  /** Seeds the tie-break among arms with exactly equal scores (default: lowest index wins). */
  tieRng?: CounterRng;
}

export class BanditPolicy implements RoutingPolicy {
  readonly name: string;
  readonly arms: readonly string[];
  readonly rmCallsPerPair = 1;
  readonly state: PosteriorState;
  readonly normalizer: RewardNormalizer;
  readonly lag: number;
  readonly #selection: BanditOptions['selection'];
  readonly #pending: DeltaBatch[] = [];
  readonly #tie: ((pairId: string) => (k: number) => number) | undefined;

  constructor(o: BanditOptions) {
    this.name = o.name;
    this.arms = o.arms;
    this.lag = o.lag ?? 1;
    requireConfig(Number.isInteger(this.lag) && this.lag >= 1, 'lag', `must be an integer ≥ 1, got ${this.lag}`);
    this.state = PosteriorState.fromPriors(o.run ?? 'run', o.arms, o.priors, o.posterior ?? defaultPosteriorConfig);
    this.normalizer = o.normalizer ?? new QuantileNormalizer();
    this.#selection = o.selection;
    this.#tie = o.tieRng ? tieKeys(o.tieRng, armSlots(o.arms)) : undefined;
  }

  route(t: number, batch: ContextBatch): PairChoice[] {
    // Apply, in batch order, every buffered delta the lag allows for batch t.
    this.#pending.sort((a, b) => a.batch - b.batch);
    while (this.#pending.length > 0 && this.#pending[0]!.batch <= t - this.lag) this.state.apply(this.#pending.shift()!);
    const sel = this.#selection;
    if (sel.kind === 'thompson') return thompsonBatch(this.state.posteriors, batch, sel.rng, sel.scale, this.#tie);
    return decideBatch(this.state.posteriors, batch, (_id, _k, mean, std) => mean + sel.alpha * std, this.#tie);
  }

  learn(t: number, feedback: readonly LearnInput[]): void {
    const rewards = this.normalizer.rewards(feedback);
    const updates = feedback.flatMap((f, i) => (rewards[i] === null ? [] : [{ pairId: f.pairId, arm: f.arm, x: f.x, r: rewards[i]! }]));
    this.#pending.push(...buildDeltas(this.state.run, t, this.arms, this.state.d, updates));
  }
}

export interface RouterSetup {
  arms: readonly string[];
  /** Offline RM embeddings e_k. */
  embeddings: readonly ArrayLike<number>[];
  rng: CounterRng;
  posterior?: PosteriorConfig;
  lag?: number;
  run?: string;
  /** Seeded tie-breaking (see BanditOptions.tieRng). */
  tieRng?: CounterRng;
}

/** BayesianRouter: offline priors, Thompson sampling, batch-baseline + quantile rewards. */
export function bayesianRouter(s: RouterSetup, normalizer: RewardNormalizer = new QuantileNormalizer()): BanditPolicy {
  return new BanditPolicy({
    name: 'bayesian-router',
    arms: s.arms,
    priors: s.embeddings,
    posterior: s.posterior,
    normalizer,
    selection: { kind: 'thompson', scale: 1, rng: s.rng },
    lag: s.lag,
    run: s.run,
    tieRng: s.tieRng,
  });
}

/** Online-only: the same Thompson sampler with e_k = 0. */
export function onlineOnlyRouter(s: RouterSetup): BanditPolicy {
  const zeros = s.embeddings.map((e) => new Float64Array(e.length));
  return new BanditPolicy({
    name: 'online-only',
    arms: s.arms,
    priors: zeros,
    posterior: s.posterior,
    selection: { kind: 'thompson', scale: 1, rng: s.rng },
    lag: s.lag,
    run: s.run,
    tieRng: s.tieRng,
  });
}

/** LASeR: disjoint LinUCB, A_k = I, b_k = 0, α = 0.1, its own reward normalization. */
export function laserRouter(s: RouterSetup, alpha = 0.1): BanditPolicy {
  const zeros = s.embeddings.map((e) => new Float64Array(e.length));
  return new BanditPolicy({
    name: 'laser',
    arms: s.arms,
    priors: zeros,
    lag: s.lag,
    run: s.run,
    tieRng: s.tieRng,
    posterior: { lambda0: 1, sigma2: 1, refreshEvery: s.posterior?.refreshEvery ?? defaultPosteriorConfig.refreshEvery },
    normalizer: new QuantileNormalizer(laserQuantileConfig),
    selection: { kind: 'ucb', alpha },
  });
}
