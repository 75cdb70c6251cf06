/**
 * One RM's Bayesian linear model in information form (docs/algorithm.md, online stage):
 *   prior Λ = λ0·I, b = λ0·e  (so μ = e);  update Λ += x xᵀ/σ², b += r x/σ².
 *
 * Λ and b are the exact sufficient statistics (plain sums, so they merge and
 * restore exactly). The Cholesky factor U (UᵀU = Λ) is maintained by O(d²)
 * rank-one updates and rebuilt from Λ every `refreshEvery` updates, which keeps
 * rounding drift bounded over arbitrarily long runs; `check()` measures it.
 */
import { RouterError, requireConfig } from './errors.ts';
import { choleskyUpper, cholSolve, cholUpdate, dot } from './linalg.ts';

export interface PosteriorConfig {
  /** Prior precision λ0 (docs/algorithm.md: 50 in the final code). */
  lambda0: number;
  /** Observation noise σ² (1). */
  sigma2: number;
  /** Rebuild the factor from Λ after this many rank-one updates (0 = never). */
  refreshEvery: number;
}

export const defaultPosteriorConfig: PosteriorConfig = { lambda0: 50, sigma2: 1, refreshEvery: 2048 };

export interface ArmSnapshot {
  d: number;
  lambda0: number;
  sigma2: number;
  refreshEvery: number;
  /** Rank-one updates applied since the prior. */
  n: number;
  /** Updates since the last refresh (so a restored copy refreshes at the same points). */
  sinceRefresh: number;
  /** Λ, full d×d row-major. */
  precision: Float64Array;
  b: Float64Array;
  /** U = chol(Λ)ᵀ as maintained (carried so a restore is bit-identical to the live copy). */
  factor: Float64Array;
}

export function validatePosteriorConfig(c: PosteriorConfig): void {
  requireConfig(Number.isFinite(c.lambda0) && c.lambda0 > 0, 'lambda0', `must be > 0, got ${c.lambda0}`);
  requireConfig(Number.isFinite(c.sigma2) && c.sigma2 > 0, 'sigma2', `must be > 0, got ${c.sigma2}`);
  requireConfig(Number.isInteger(c.refreshEvery) && c.refreshEvery >= 0, 'refreshEvery', `must be an integer >= 0, got ${c.refreshEvery}`);
}

export class ArmPosterior {
  readonly d: number;
  readonly config: PosteriorConfig;
  readonly precision: Float64Array;
  readonly b: Float64Array;
  readonly factor: Float64Array;
  /** μ = Λ⁻¹ b, kept current after every update. */
  readonly mean: Float64Array;
  n = 0;
  sinceRefresh = 0;
  readonly #scratch: Float64Array;

  private constructor(d: number, config: PosteriorConfig) {
    validatePosteriorConfig(config);
    requireConfig(Number.isInteger(d) && d > 0, 'd', `must be a positive integer, got ${d}`);
    this.d = d;
    this.config = { ...config };
    this.precision = new Float64Array(d * d);
    this.b = new Float64Array(d);
    this.factor = new Float64Array(d * d);
    this.mean = new Float64Array(d);
    this.#scratch = new Float64Array(d);
  }

  /** Prior centred on `e` (the offline RM embedding; all zeros for online-only / LinUCB). */
  static fromPrior(e: ArrayLike<number>, config: PosteriorConfig = defaultPosteriorConfig): ArmPosterior {
    const p = new ArmPosterior(e.length, config);
    const { d } = p;
    const l0 = config.lambda0;
    const s = Math.sqrt(l0);
    for (let i = 0; i < d; i++) {
      if (!Number.isFinite(e[i]))
        throw new RouterError('RR_INVALID_PRIOR', `prior embedding[${i}] is not finite`, { field: `embedding[${i}]` });
      p.precision[i * d + i] = l0;
      p.factor[i * d + i] = s;
      p.b[i] = l0 * e[i]!;
    }
    p.#solveMean();
    return p;
  }

  static restore(s: ArmSnapshot): ArmPosterior {
    const p = new ArmPosterior(s.d, { lambda0: s.lambda0, sigma2: s.sigma2, refreshEvery: s.refreshEvery });
    const dd = s.d * s.d;
    if (s.precision.length !== dd || s.factor.length !== dd || s.b.length !== s.d) {
      throw new RouterError('RR_INVALID_DELTA', `snapshot arrays do not match d=${s.d}`, { field: 'snapshot' });
    }
    p.precision.set(s.precision);
    p.b.set(s.b);
    p.factor.set(s.factor);
    p.n = s.n;
    p.sinceRefresh = s.sinceRefresh;
    p.#solveMean();
    return p;
  }

  snapshot(): ArmSnapshot {
    const { lambda0, sigma2, refreshEvery } = this.config;
    return {
      d: this.d,
      lambda0,
      sigma2,
      refreshEvery,
      n: this.n,
      sinceRefresh: this.sinceRefresh,
      precision: this.precision.slice(),
      b: this.b.slice(),
      factor: this.factor.slice(),
    };
  }

  /** Λ += x xᵀ/σ², b += r x/σ², in O(d²). Call `finish()` (or use `update`) to refresh μ. */
  accumulate(x: ArrayLike<number>, r: number): void {
    const { d } = this;
    const inv = 1 / this.config.sigma2;
    const invSd = Math.sqrt(inv);
    const z = this.#scratch;
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      const row = i * d;
      for (let j = 0; j < d; j++) this.precision[row + j] = this.precision[row + j]! + xi * x[j]! * inv;
      this.b[i] = this.b[i]! + r * xi * inv;
      z[i] = xi * invSd;
    }
    cholUpdate(this.factor, z, d);
    this.n++;
    this.sinceRefresh++;
    if (this.config.refreshEvery > 0 && this.sinceRefresh >= this.config.refreshEvery) this.refresh();
  }

  /** Recompute μ after one or more `accumulate` calls. */
  finish(): void {
    this.#solveMean();
  }

  /** One observation: accumulate and refresh μ. */
  update(x: ArrayLike<number>, r: number): void {
    this.accumulate(x, r);
    this.#solveMean();
  }

  /** Rebuild the factor exactly from Λ (O(d³/3)); bounds rank-one drift. */
  refresh(): void {
    try {
      choleskyUpper(this.precision, this.d, this.factor);
    } catch (cause) {
      throw new RouterError('RR_NUMERICAL', 'posterior precision lost positive definiteness', { cause });
    }
    this.sinceRefresh = 0;
  }

  /** <x, μ>. */
  meanScore(x: ArrayLike<number>, offset = 0): number {
    return dot(x, this.mean, this.d, offset, 0);
  }

  /**
   * Numerical health: relative residual ‖Λμ − b‖∞ / max(‖b‖∞, 1) and the largest
   * relative entry of UᵀU − Λ. Both stay near 1e-15..1e-12 in a sound posterior.
   */
  check(): { residual: number; factorError: number } {
    const { d } = this;
    let res = 0;
    let bmax = 1;
    for (let i = 0; i < d; i++) {
      const r = dot(this.precision, this.mean, d, i * d, 0) - this.b[i]!;
      res = Math.max(res, Math.abs(r));
      bmax = Math.max(bmax, Math.abs(this.b[i]!));
    }
    let fe = 0;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        let s = 0;
        for (let p = 0; p <= i; p++) s += this.factor[p * d + i]! * this.factor[p * d + j]!;
        const a = this.precision[i * d + j]!;
        fe = Math.max(fe, Math.abs(s - a) / Math.max(Math.abs(a), 1));
      }
    }
    return { residual: res / bmax, factorError: fe };
  }

  #solveMean(): void {
    cholSolve(this.factor, this.b, this.d, this.mean);
  }
}
