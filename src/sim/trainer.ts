/**
 * A simulated DPO trainer: only the per-pair loss under the pre-update policy,
 * which is all the router's reward needs (ALGORITHM.md, "The bandit reward").
 *
 * The policy's implicit reward margin in the gold direction is m ~ N(μ, s),
 * drawn per pair. DPO loss on the label (y_w, y_l) is softplus(−β·m) when the
 * label agrees with gold and softplus(+β·m) when it is flipped. With μ > 0 a
 * right label gives a lower loss on average (the two differ by exactly β·m),
 * but with s ≳ μ the two loss distributions overlap a lot: a weak, noisy signal.
 *
 * m is keyed by (seed, pairId) through the counter RNG, not by a shared cursor:
 * two methods that label the same pair the same way see the same loss.
 */
import { CounterRng, Stream } from '../core/rng.ts';
import type { SimTrainerConfig } from './config.ts';
import { SIM_RUN } from './world.ts';

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export interface KeptLabel {
  pairId: string;
  /** The chosen RM's label agrees with gold. */
  labelCorrect: boolean;
}

export class SimTrainer {
  readonly cfg: SimTrainerConfig;
  readonly #rng: CounterRng;

  constructor(cfg: SimTrainerConfig, seed: number) {
    this.cfg = cfg;
    this.#rng = new CounterRng(seed, `${SIM_RUN}/trainer`);
  }

  /** The policy's implicit reward margin (gold direction) on this pair. */
  margin(pairId: string): number {
    return this.cfg.marginMean + this.cfg.marginSd * this.#rng.pairNormal(pairId, 0, Stream.sim);
  }

  /** Per-pair DPO loss under the pre-update policy for a label that is right or wrong. */
  loss(pairId: string, labelCorrect: boolean): number {
    const bm = this.cfg.beta * this.margin(pairId);
    return softplus(labelCorrect ? -bm : bm);
  }

  /** Losses of one batch's kept pairs, in the order given. */
  losses(kept: readonly KeptLabel[]): Float64Array {
    const out = new Float64Array(kept.length);
    for (let j = 0; j < kept.length; j++) out[j] = this.loss(kept[j]!.pairId, kept[j]!.labelCorrect);
    return out;
  }
}
