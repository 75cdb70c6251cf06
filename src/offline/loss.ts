/**
 * The router's training loss on one batch (docs/algorithm.md, "Offline stage"): Bradley–Terry over RMs on
 * the balanced pairs, plus the optional heads of the multi-task router, weighted (bt, cls, reg).
 * Call inside optimizer.minimize / tf.tidy: it allocates freely.
 */

import type { Scalar, Tensor } from '@tensorflow/tfjs';
import type { LossWeights } from '../core/prior.ts';
import type { Tf } from './backend.ts';
import type { Batch } from './batches.ts';
import type { RouterModel } from './model.ts';

/**
 * How the BT loss averages: 'example' (the authors': mean over each example's pairs, then over the
 * examples) or 'pair' (mean over all pairs, so an example weighs as many pairs as it has).
 */
export type BtAverage = 'example' | 'pair';

export function routerLoss(tf: Tf, model: RouterModel, batch: Batch, weights: LossWeights, average: BtAverage = 'example'): Scalar {
  const { bt, cls, reg } = weights;
  const b = batch.rows.length;
  const k = model.config.numArms;
  const S = model.scores(tf.tensor2d(batch.inputs, [b, model.config.inputDim]));
  let total: Tensor = tf.scalar(0);
  if (batch.numPairs > 0 && (bt > 0 || reg > 0)) {
    const picked = tf.matMul(tf.tensor2d(batch.pick, [batch.numPairs, b]), S);
    const diff = tf.sum(tf.mul(picked, tf.tensor2d(batch.sign, [batch.numPairs, k])), 1); // s_w − s_l
    // Bradley–Terry: softplus(−(s_w − s_l)), averaged per example then over examples (or over pairs).
    if (bt > 0) {
      const sp = tf.softplus(tf.neg(diff));
      const bl = average === 'example' ? tf.sum(tf.mul(sp, tf.tensor1d(batch.exampleWeight))) : tf.mean(sp);
      total = tf.add(total, tf.mul(bt, bl));
    }
    // L1 head: the score gap should match the label gap c_w − c_l, which is 1 on every kept pair.
    if (reg > 0) total = tf.add(total, tf.mul(reg, tf.mean(tf.abs(tf.sub(diff, 1)))));
  }
  if (cls > 0) {
    // Per-RM BCE on c_k from the scores: softplus(z) − c·z is −log σ(z) for c = 1, −log(1 − σ(z)) for c = 0.
    const z = model.clsLogits(S);
    const y = tf.tensor2d(batch.labels, [b, k]);
    total = tf.add(total, tf.mul(cls, tf.mean(tf.sub(tf.softplus(z), tf.mul(y, z)))));
  }
  return total as Scalar;
}
