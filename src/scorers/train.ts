/**
 * Trains the demo tfjs reward model (tfjsModel.ts) on rmData.ts with the Bradley–Terry loss
 * −log σ(r(prompt, chosen) − r(prompt, rejected)), Adam, on whatever tfjs backend is given.
 * Returns the model and its held-out pairwise accuracy.
 */
import type { LayersModel, Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { Tf } from '../offline/backend.ts';
import { featurizeBatch, type FeaturizerSpec } from './featurize.ts';
import { rmPreferenceData, type PreferencePair } from './rmData.ts';
import { buildRewardModel } from './tfjsModel.ts';

export interface RmTrainOptions {
  seed: number;
  examples: number;
  heldOut: number;
  epochs: number;
  batchSize: number;
  dim: number;
  hidden: number;
  learningRate: number;
}

export const rmTrainDefaults: RmTrainOptions = {
  seed: 1,
  examples: 2_000,
  heldOut: 500,
  epochs: 8,
  batchSize: 64,
  dim: 256,
  hidden: 16,
  learningRate: 0.01,
};

export function pairAccuracy(tf: Tf, model: LayersModel, spec: FeaturizerSpec, pairs: readonly PreferencePair[]): number {
  const r = (side: 'chosen' | 'rejected'): Float32Array =>
    tf.tidy(() => {
      const x = tf.tensor2d(
        featurizeBatch(
          spec,
          pairs.map((p) => ({ prompt: p.prompt, response: p[side] })),
        ),
        [pairs.length, spec.dim],
      );
      return (model.predict(x) as Tensor).dataSync() as Float32Array;
    });
  const a = r('chosen');
  const b = r('rejected');
  let ok = 0;
  for (let i = 0; i < pairs.length; i++) if (a[i]! > b[i]!) ok++;
  return ok / pairs.length;
}

export function trainRewardModel(
  tf: Tf,
  o: RmTrainOptions = rmTrainDefaults,
): { model: LayersModel; featurizer: FeaturizerSpec; heldOutAccuracy: number; finalLoss: number } {
  const featurizer: FeaturizerSpec = { name: 'hashed-ngrams', version: 2, dim: o.dim };
  const train = rmPreferenceData(o.examples, o.seed, 'train');
  const test = rmPreferenceData(o.heldOut, o.seed, 'held-out');
  const model = buildRewardModel(tf, o.dim, o.hidden, o.seed);
  const xc = featurizeBatch(
    featurizer,
    train.map((p) => ({ prompt: p.prompt, response: p.chosen })),
  );
  const xr = featurizeBatch(
    featurizer,
    train.map((p) => ({ prompt: p.prompt, response: p.rejected })),
  );
  // Build the weights outside minimize's tidy (a lazily built layer inside it loses its initial values).
  tf.tidy(() => {
    model.predict(tf.zeros([1, o.dim]));
  });
  const opt = tf.train.adam(o.learningRate);
  let finalLoss = NaN;
  for (let e = 0; e < o.epochs; e++) {
    for (let s = 0; s < train.length; s += o.batchSize) {
      const n = Math.min(o.batchSize, train.length - s);
      const loss = opt.minimize(() => {
        const c = model.apply(tf.tensor2d(xc.subarray(s * o.dim, (s + n) * o.dim), [n, o.dim])) as Tensor2D;
        const r = model.apply(tf.tensor2d(xr.subarray(s * o.dim, (s + n) * o.dim), [n, o.dim])) as Tensor2D;
        // −log σ(d) = softplus(−d) (tf.logSigmoid's gradient fails inside minimize in tfjs 4.22).
        return tf.mean(tf.softplus(tf.sub(r, c))) as import('@tensorflow/tfjs').Scalar;
      }, true);
      finalLoss = loss!.dataSync()[0]!;
      loss!.dispose();
    }
  }
  opt.dispose();
  return { model, featurizer, heldOutAccuracy: pairAccuracy(tf, model, featurizer, test), finalLoss };
}
