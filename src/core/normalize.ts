/**
 * Turning the trainer's per-pair losses into bandit rewards (docs/algorithm.md,
 * "The bandit reward"). Every normalizer works on a whole batch of feedback at
 * once and sorts it by pair id first, so the result never depends on the order
 * in which feedback arrived.
 */
import { RouterError, requireConfig } from './errors.ts';

export interface PairLoss {
  pairId: string;
  /** The arm (RM index) that labelled this pair. */
  arm: number;
  /** Per-pair training loss under the pre-update policy. */
  loss: number;
}

/** A reward per feedback entry, in the input's order; `null` = no update for that entry. */
export interface RewardNormalizer {
  readonly name: string;
  rewards(batch: readonly PairLoss[]): (number | null)[];
}

function checkLosses(batch: readonly PairLoss[]): void {
  batch.forEach((f, i) => {
    if (!Number.isFinite(f.loss)) {
      throw new RouterError('RR_INVALID_REWARD', `feedback[${i}].loss is ${f.loss}`, { field: `feedback[${i}].loss`, pairId: f.pairId });
    }
  });
}

/** Positions of `batch` in canonical (pair id) order. */
function canonicalOrder(batch: readonly PairLoss[]): number[] {
  return batch.map((_, i) => i).sort((a, b) => (batch[a]!.pairId < batch[b]!.pairId ? -1 : batch[a]!.pairId > batch[b]!.pairId ? 1 : 0));
}

/** Quantile of sorted values with linear interpolation (NumPy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Insert into an ascending array, keeping it sorted (binary search). */
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

function removeSorted(arr: number[], v: number): void {
  let lo = 0,
    hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 1);
}

export interface QuantileConfig {
  /** Below this history size, rewards are `coldReward` (20 for BayesianRouter, 2 for LASeR). */
  minHistory: number;
  qLo: number;
  qHi: number;
  /** 'half': r = 0.5 (BayesianRouter); 'raw': r = adv (LASeR's code). */
  coldReward: 'half' | 'raw';
  /**
   * 0 = the paper's exact global history (grows with the run). N > 0 = bounded
   * memory: quantiles over the last N advantages only (a sliding window).
   */
  window: number;
}

export const bayesianQuantileConfig: QuantileConfig = { minHistory: 20, qLo: 0.2, qHi: 0.8, coldReward: 'half', window: 0 };
export const laserQuantileConfig: QuantileConfig = { minHistory: 2, qLo: 0.2, qHi: 0.8, coldReward: 'raw', window: 0 };

/**
 * Batch baseline + quantile rescaling: adv_j = mean_batch(ℓ) − ℓ_j; append the
 * batch's advantages to H; |H| < minHistory → cold reward; else
 * r = clip((adv − q_lo)/(q_hi − q_lo), 0, 1), or 1[adv > q_lo] when q_hi ≤ q_lo.
 * The whole batch is appended before the quantiles are read, so all pairs of a
 * batch are scored against the same history regardless of arrival order.
 */
export class QuantileNormalizer implements RewardNormalizer {
  readonly name = 'batch-baseline-quantile';
  readonly config: QuantileConfig;
  /** Sorted history of advantages. */
  readonly #sorted: number[] = [];
  /** Insertion order, only kept when windowed. */
  readonly #fifo: number[] = [];

  constructor(config: Partial<QuantileConfig> = {}) {
    this.config = { ...bayesianQuantileConfig, ...config };
    const c = this.config;
    requireConfig(c.qLo >= 0 && c.qLo < c.qHi && c.qHi <= 1, 'quantiles', `need 0 ≤ qLo < qHi ≤ 1, got ${c.qLo}, ${c.qHi}`);
    requireConfig(Number.isInteger(c.minHistory) && c.minHistory >= 0, 'minHistory', 'must be an integer ≥ 0');
    requireConfig(Number.isInteger(c.window) && c.window >= 0, 'window', 'must be an integer ≥ 0');
  }

  get historySize(): number {
    return this.#sorted.length;
  }

  rewards(batch: readonly PairLoss[]): number[] {
    checkLosses(batch);
    if (batch.length === 0) return [];
    const order = canonicalOrder(batch);
    let sum = 0;
    for (const i of order) sum += batch[i]!.loss;
    const mean = sum / batch.length;
    const adv = batch.map((f) => mean - f.loss);
    for (const i of order) this.#push(adv[i]!);
    return adv.map((a) => this.#scale(a));
  }

  #push(a: number): void {
    insertSorted(this.#sorted, a);
    if (this.config.window > 0) {
      this.#fifo.push(a);
      if (this.#fifo.length > this.config.window) removeSorted(this.#sorted, this.#fifo.shift()!);
    }
  }

  #scale(adv: number): number {
    const c = this.config;
    if (this.#sorted.length < c.minHistory) return c.coldReward === 'half' ? 0.5 : adv;
    const qLo = quantileSorted(this.#sorted, c.qLo);
    const qHi = quantileSorted(this.#sorted, c.qHi);
    if (qHi <= qLo) return adv > qLo ? 1 : 0;
    return Math.min(1, Math.max(0, (adv - qLo) / (qHi - qLo)));
  }
}

export interface EmaConfig {
  alpha: number;
  clip: number;
  /** No update before this many observations of the arm. */
  warmup: number;
}

/**
 * The older code's variant: a per-arm EMA baseline (α = 0.01) of the raw loss;
 * the advantage (baseline − loss) is z-scored by a per-arm EMA of its second
 * moment and clipped to ±clip; arms with fewer than `warmup` observations give
 * no update. Entries are processed in pair-id order.
 */
export class EmaZNormalizer implements RewardNormalizer {
  readonly name = 'ema-zscore';
  readonly config: EmaConfig;
  readonly #baseline = new Map<number, number>();
  readonly #m2 = new Map<number, number>();
  readonly #count = new Map<number, number>();

  constructor(config: Partial<EmaConfig> = {}) {
    this.config = { alpha: 0.01, clip: 2, warmup: 5, ...config };
    requireConfig(this.config.alpha > 0 && this.config.alpha <= 1, 'alpha', 'must be in (0, 1]');
  }

  rewards(batch: readonly PairLoss[]): (number | null)[] {
    checkLosses(batch);
    const out: (number | null)[] = new Array(batch.length).fill(null);
    const { alpha, clip, warmup } = this.config;
    for (const i of canonicalOrder(batch)) {
      const { arm, loss } = batch[i]!;
      const n = (this.#count.get(arm) ?? 0) + 1;
      this.#count.set(arm, n);
      const base = this.#baseline.get(arm) ?? loss;
      const adv = base - loss;
      const m2 = (this.#m2.get(arm) ?? adv * adv) * (1 - alpha) + alpha * adv * adv;
      this.#m2.set(arm, m2);
      this.#baseline.set(arm, base * (1 - alpha) + alpha * loss);
      if (n < warmup) continue;
      const z = m2 > 0 ? adv / Math.sqrt(m2) : 0;
      out[i] = Math.max(-clip, Math.min(clip, z));
    }
    return out;
  }
}
