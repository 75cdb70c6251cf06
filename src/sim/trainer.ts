/**
 * A simulated DPO trainer: only the per-pair loss under the pre-update policy,
 * which is all the router's reward needs (docs/algorithm.md, "The bandit reward").
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

/** What the eval loop needs from a trainer: a loss per kept pair, and (optionally) the labels it trained on. */
export interface LoopTrainer {
  loss(pairId: string, labelCorrect: boolean, category: number): number;
  /** Called once per batch with the kept labels, after their losses were read. */
  observe?(labels: readonly { category: number; correct: boolean }[]): void;
}

/**
 * A policy that learns from the labels it gets (scenario `learning`). At batch 0 the policy equals
 * its reference: every margin is 0 and every loss is log 2, whatever the label, so the loss says
 * nothing. Per category c it then accumulates L_c = (right labels − wrong labels) trained on, and
 * its margin in the gold direction is m ~ N(μ_c, 2μ_c) with μ_c = marginMean·tanh(L_c / scale):
 * the signal grows as the policy learns, and wrong labels slow it down (or undo it) later. One
 * instance per routing method: each method's policy learns from its own labels.
 */
export class LearningTrainer implements LoopTrainer {
  readonly #rng: CounterRng;
  readonly #cfg: SimTrainerConfig;
  readonly #scale: number;
  readonly #net: Float64Array;

  constructor(cfg: SimTrainerConfig, scale: number, categories: number, seed: number) {
    this.#cfg = cfg;
    this.#scale = scale;
    this.#net = new Float64Array(categories);
    this.#rng = new CounterRng(seed, `${SIM_RUN}/trainer`);
  }

  /** μ_c now. */
  marginMean(category: number): number {
    return this.#cfg.marginMean * Math.tanh(this.#net[category]! / this.#scale);
  }

  loss(pairId: string, labelCorrect: boolean, category: number): number {
    const mu = this.marginMean(category);
    const bm = this.#cfg.beta * (mu + 2 * Math.abs(mu) * this.#rng.pairNormal(pairId, 0, Stream.sim));
    return softplus(labelCorrect ? -bm : bm);
  }

  observe(labels: readonly { category: number; correct: boolean }[]): void {
    for (const l of labels) this.#net[l.category]! += l.correct ? 1 : -1;
  }
}
