/**
 * `bayesian-router-calibrated`: BayesianRouter with its prior and its rewards on one scale.
 *
 * The exact method mixes two scales. Prior scores <x, e_k> are cosines, centred near 0 across arms
 * (−0.6 … 0.4 on the default pool); rewards are quantile-normalized into [0, 1] with a mean near
 * 0.55. An arm that is chosen is pulled towards 0.55 whatever its quality, while arms never chosen
 * stay at their prior: being chosen raises an arm's score, so the router locks onto incumbents and,
 * through the linear model's shared directions, drifts towards whichever arm it happened to use.
 *
 * The fix kept here (docs/calibration.md has the measurements that chose it): rewards are centred
 * across arms within each batch (r − the batch's mean reward, so they say "better or worse than the
 * RMs used for the other pairs of this batch"), and the prior is centred across arms (e_k − ē, so
 * prior scores say "better or worse than the other RMs for this context"). Both are then relative
 * scores around 0: choosing an arm no longer raises it, and evidence moves an arm up or down from
 * where the prior put it relative to the others.
 */
import { BanditPolicy, type RouterSetup } from './bandit.ts';
import type { ContextBatch } from './context.ts';
import { choleskyUpper } from './linalg.ts';
import { QuantileNormalizer, type PairLoss, type RewardNormalizer } from './normalize.ts';
import type { LearnInput, RoutingPolicy } from './policy.ts';
import { ArmPosterior, defaultPosteriorConfig } from './posterior.ts';
import { armSlots, thompsonBatch, tieKeys, type PairChoice } from './thompson.ts';

export type Calibration = 'centred' | 'rewards-centred';

/** Wraps a normalizer: its rewards minus their mean over the batch (entries without a reward stay null). */
export class BatchCentred implements RewardNormalizer {
  readonly name: string;
  readonly #inner: RewardNormalizer;

  constructor(inner: RewardNormalizer) {
    this.#inner = inner;
    this.name = `${inner.name}-batch-centred`;
  }

  rewards(batch: readonly PairLoss[]): (number | null)[] {
    const r = this.#inner.rewards(batch);
    // Summed in pair-id order, so the mean does not depend on arrival order.
    const order = batch
      .map((_, i) => i)
      .sort((a, b) => (batch[a]!.pairId < batch[b]!.pairId ? -1 : batch[a]!.pairId > batch[b]!.pairId ? 1 : 0));
    let sum = 0,
      n = 0;
    for (const i of order)
      if (r[i] !== null) {
        sum += r[i]!;
        n++;
      }
    const mean = n > 0 ? sum / n : 0;
    return r.map((v) => (v === null ? null : v - mean));
  }
}

/** e_k − ē: prior scores relative to the mean over arms for the same context. */
export function centreAcrossArms(embeddings: readonly ArrayLike<number>[]): Float64Array[] {
  const K = embeddings.length;
  const d = embeddings[0]?.length ?? 0;
  const mean = new Float64Array(d);
  for (const e of embeddings) for (let i = 0; i < d; i++) mean[i]! += e[i]! / K;
  return embeddings.map((e) => Float64Array.from({ length: d }, (_, i) => e[i]! - mean[i]!));
}

export function calibratedRouter(s: RouterSetup, calibration: Calibration = 'centred', name = 'bayesian-router-calibrated'): BanditPolicy {
  const normalizer = new BatchCentred(new QuantileNormalizer());
  const embeddings = calibration === 'centred' ? centreAcrossArms(s.embeddings) : s.embeddings;
  return new BanditPolicy({
    name,
    arms: s.arms,
    priors: embeddings,
    posterior: s.posterior,
    normalizer,
    selection: { kind: 'thompson', scale: 1, rng: s.rng },
    lag: s.lag,
    run: s.run,
    tieRng: s.tieRng,
  });
}

/**
 * The affine calibration: the rewards are mapped onto the prior's scale by an online least-squares
 * fit r ≈ α + β·s, where s = <x, e_k> is the offline prior's score of the arm that labelled the pair.
 * In the prior's units an observation is y = (r − α)/β with noise σ²/β², so per arm
 *
 *   Λ_k = λ0·I + (β²/σ²)·Σ x xᵀ,   b_k = λ0·e_k + (β/σ²)·Σ (r − α)·x.
 *
 * An arm whose rewards are what the prior predicts stays where the prior put it (being chosen no
 * longer raises it), and an arm doing worse than predicted falls by as much as the evidence says.
 * α and β are refitted after every batch from all rewards so far, and Λ_k, its factor and μ_k are
 * rebuilt from the sufficient statistics (O(d³) per arm per batch). Before `minObs` observations,
 * or when the fitted slope is below `minSlope`, β = `minSlope`... see `fit`.
 */
export interface AffineOptions {
  /** Fewer rewards than this: α = mean reward, β = 1 (the exact method's scale). */
  minObs: number;
  /** β is clamped to at least this (a prior that predicts nothing must not be inflated without bound). */
  minSlope: number;
  /**
   * 'empirical': σ² = the residual variance of the fit (the rewards' actual noise around what the
   * prior predicts); 'config': the posterior config's σ² (1, the authors').
   */
  noise: 'empirical' | 'config';
  /**
   * 'empirical': λ0 = β²/τ², where τ² is how far the arms' mean rewards sit from what the prior
   * predicts beyond their noise (the variance over arms of each arm's mean residual r − α − β·s,
   * minus the noise σ²/n_k it would have anyway), clamped to `lambda0Range`; 'config': λ0 as configured.
   */
  prior: 'empirical' | 'config';
  lambda0Range: readonly [number, number];
  /** 'fit': β by least squares; 'one': β = 1 (only the offset α is removed: the exact method's scale, centred on the prior). */
  slope: 'fit' | 'one';
}

export class AffineCalibratedPolicy implements RoutingPolicy {
  readonly name: string;
  readonly arms: readonly string[];
  readonly rmCallsPerPair = 1;
  readonly #s: RouterSetup;
  readonly #o: AffineOptions;
  readonly #normalizer = new QuantileNormalizer();
  readonly #tie: ((pairId: string) => (k: number) => number) | undefined;
  readonly #d: number;
  /** Per arm: Σ x xᵀ, Σ r x, Σ x, n. */
  readonly #sxx: Float64Array[];
  readonly #srx: Float64Array[];
  readonly #sx: Float64Array[];
  readonly #n: number[];
  /** Σ over all rewards of 1, s, s², r, r·s (for the fit). */
  #fit = { n: 0, s: 0, ss: 0, r: 0, rr: 0, rs: 0 };
  posteriors: ArmPosterior[];
  alpha = 0;
  beta = 1;
  /** The reward noise σ² in use (reward units). */
  sigma2: number;
  /** The prior precision in use (the prior's units). */
  lambda0: number;
  /** Per arm: Σ r, Σ s over its observations (for the empirical λ0). */
  readonly #armR: number[];
  readonly #armS: number[];

  constructor(s: RouterSetup, o: Partial<AffineOptions> = {}, name = 'bayesian-router-calibrated') {
    this.name = name;
    this.arms = s.arms;
    this.#s = s;
    this.#o = { minObs: 100, minSlope: 0.05, noise: 'empirical', prior: 'empirical', lambda0Range: [10, 10000], slope: 'fit', ...o };
    this.#d = s.embeddings[0]?.length ?? 0;
    const d = this.#d;
    this.#sxx = s.arms.map(() => new Float64Array(d * d));
    this.#srx = s.arms.map(() => new Float64Array(d));
    this.#sx = s.arms.map(() => new Float64Array(d));
    this.#n = s.arms.map(() => 0);
    this.#armR = s.arms.map(() => 0);
    this.#armS = s.arms.map(() => 0);
    this.#tie = s.tieRng ? tieKeys(s.tieRng, armSlots(s.arms)) : undefined;
    this.posteriors = s.embeddings.map((e) => ArmPosterior.fromPrior(e, s.posterior ?? defaultPosteriorConfig));
    this.sigma2 = (s.posterior ?? defaultPosteriorConfig).sigma2;
    this.lambda0 = (s.posterior ?? defaultPosteriorConfig).lambda0;
  }

  route(_t: number, batch: ContextBatch): PairChoice[] {
    return thompsonBatch(this.posteriors, batch, this.#s.rng, 1, this.#tie);
  }

  learn(_t: number, feedback: readonly LearnInput[]): void {
    const r = this.#normalizer.rewards(feedback);
    const d = this.#d;
    const order = feedback
      .map((_, i) => i)
      .sort((a, b) => (feedback[a]!.pairId < feedback[b]!.pairId ? -1 : feedback[a]!.pairId > feedback[b]!.pairId ? 1 : 0));
    for (const i of order) {
      const f = feedback[i]!;
      const x = f.x;
      const e = this.#s.embeddings[f.arm]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[j]! * e[j]!;
      const fit = this.#fit;
      fit.n++;
      fit.s += s;
      fit.ss += s * s;
      fit.r += r[i]!;
      fit.rr += r[i]! * r[i]!;
      fit.rs += r[i]! * s;
      const sxx = this.#sxx[f.arm]!,
        srx = this.#srx[f.arm]!,
        sx = this.#sx[f.arm]!;
      for (let a = 0; a < d; a++) {
        srx[a]! += r[i]! * x[a]!;
        sx[a]! += x[a]!;
        for (let b = 0; b < d; b++) sxx[a * d + b]! += x[a]! * x[b]!;
      }
      this.#n[f.arm]!++;
      this.#armR[f.arm]! += r[i]!;
      this.#armS[f.arm]! += s;
    }
    this.#refit();
    this.#rebuild();
  }

  #refit(): void {
    const { n, s, ss, r, rr, rs } = this.#fit;
    const configured = (this.#s.posterior ?? defaultPosteriorConfig).sigma2;
    if (n < this.#o.minObs) {
      this.alpha = n > 0 ? r / n : 0;
      this.beta = 1;
      this.sigma2 = configured;
      this.lambda0 = (this.#s.posterior ?? defaultPosteriorConfig).lambda0;
      return;
    }
    const vs = ss / n - (s / n) ** 2;
    const vr = rr / n - (r / n) ** 2;
    const cov = rs / n - (r / n) * (s / n);
    const slope = vs > 1e-12 ? cov / vs : 0;
    this.beta = this.#o.slope === 'one' ? 1 : Math.max(this.#o.minSlope, slope);
    this.alpha = r / n - this.beta * (s / n);
    // Residual variance of r around α + β·s (for the clamped β too), floored.
    this.sigma2 = this.#o.noise === 'empirical' ? Math.max(1e-4, vr - 2 * this.beta * cov + this.beta * this.beta * vs) : configured;
    if (this.#o.prior === 'empirical') {
      // Method of moments over the arms that have observations: spread of their mean residuals
      // beyond the noise each mean carries.
      // The prior predicts a mean residual of 0 for every arm, so τ² is their mean square minus noise.
      let m2 = 0,
        noise = 0,
        k = 0;
      this.#n.forEach((nk, a) => {
        if (nk === 0) return;
        const e = (this.#armR[a]! - this.alpha * nk - this.beta * this.#armS[a]!) / nk;
        m2 += e * e;
        noise += this.sigma2 / nk;
        k++;
      });
      const [lo, hi] = this.#o.lambda0Range;
      const tau2 = k > 0 ? Math.max(0, (m2 - noise) / k) : 0;
      this.lambda0 = tau2 > 0 ? Math.min(hi, Math.max(lo, (this.beta * this.beta) / tau2)) : hi;
    }
  }

  #rebuild(): void {
    const d = this.#d;
    const cfg = this.#s.posterior ?? defaultPosteriorConfig;
    const w = (this.beta * this.beta) / this.sigma2;
    const v = this.beta / this.sigma2;
    this.posteriors = this.arms.map((_, k) => {
      const e = this.#s.embeddings[k]!;
      const precision = new Float64Array(d * d);
      const b = new Float64Array(d);
      const sxx = this.#sxx[k]!,
        srx = this.#srx[k]!,
        sx = this.#sx[k]!;
      for (let a = 0; a < d; a++) {
        for (let c = 0; c < d; c++) precision[a * d + c] = w * sxx[a * d + c]!;
        precision[a * d + a]! += this.lambda0;
        b[a] = this.lambda0 * e[a]! + v * (srx[a]! - this.alpha * sx[a]!);
      }
      const factor = choleskyUpper(precision, d);
      return ArmPosterior.restore({
        d,
        lambda0: this.lambda0,
        sigma2: cfg.sigma2,
        refreshEvery: cfg.refreshEvery,
        n: this.#n[k]!,
        sinceRefresh: 0,
        precision,
        b,
        factor,
      });
    });
  }
}
