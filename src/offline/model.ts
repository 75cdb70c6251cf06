/**
 * The offline router model in tfjs (docs/algorithm.md, "Offline stage"): an optional projection head
 * Linear(inputDim → d) → ReLU → LayerNorm → L2-normalize, RM embeddings e_k normalized in the forward
 * pass, and scores s_k(x) = <x, e_k> (cosines). Without the head the input is only L2-normalized,
 * which is also what `identityOrProject` does at routing time.
 */

import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import type { Projection } from '../core/prior.ts';
import { l2normalizeInPlace } from '../core/projection.ts';
import type { RngSequence } from '../core/rng.ts';
import type { Tf } from './backend.ts';

export interface RouterModelConfig {
  inputDim: number;
  d: number;
  numArms: number;
  /** Use the projection head (required when inputDim ≠ d). */
  projection: boolean;
  /** LayerNorm epsilon (torch's default). */
  lnEps: number;
}

export interface RouterModel {
  readonly config: RouterModelConfig;
  /** Everything the optimizer updates. */
  readonly trainable: Variable[];
  /** Unit-norm contexts [B, d] from inputs [B, inputDim]. */
  embed(u: Tensor2D): Tensor2D;
  /** Scores [B, K] = contexts · normalize(E)ᵀ. */
  scores(u: Tensor2D): Tensor2D;
  /** BCE head logits from scores: scale · s_k + bias_k (scale and bias learned). */
  clsLogits(s: Tensor2D): Tensor2D;
  /** The learned parameters in float64, RM embeddings renormalized to unit norm in float64. */
  export(): { embeddings: Float64Array[]; projection: Projection | null };
  dispose(): void;
}

/** Initial logit scale of the BCE head: cosines live in [−1, 1], too flat for sigmoid at scale 1. */
const CLS_SCALE_INIT = 5;

export function createRouterModel(tf: Tf, config: RouterModelConfig, rng: RngSequence): RouterModel {
  const { inputDim, d, numArms: k, lnEps } = config;
  if (!config.projection && inputDim !== d) throw new Error(`input width ${inputDim} ≠ d ${d} needs the projection head`);

  // Initial values come from the project RNG (never tfjs' own seedless initializers), so a seed
  // reproduces the run. Linear init as torch.nn.Linear: U(−1/√fan_in, 1/√fan_in) for W and b.
  const uniform = (n: number, bound: number): Float32Array => Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
  const normal = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

  // tf.variable shares the initial tensor's data but leaves that tensor alive: dispose it here so
  // training leaves no tensors behind (tf.memory() stays flat across runs).
  const makeVar = (t: Tensor): Variable => {
    const v = tf.variable(t);
    t.dispose();
    return v;
  };
  const E = makeVar(tf.tensor2d(normal(k * d), [k, d]));
  const clsScale = makeVar(tf.scalar(CLS_SCALE_INIT));
  const clsBias = makeVar(tf.zeros([k]));
  let head: { W: Variable; b: Variable; gamma: Variable; beta: Variable } | null = null;
  if (config.projection) {
    const bound = 1 / Math.sqrt(inputDim);
    head = {
      W: makeVar(tf.tensor2d(uniform(inputDim * d, bound), [inputDim, d])),
      b: makeVar(tf.tensor1d(uniform(d, bound))),
      gamma: makeVar(tf.ones([d])),
      beta: makeVar(tf.zeros([d])),
    };
  }

  // x / max(‖x‖, 1e-12) along the last axis, as torch's F.normalize.
  const l2 = <T extends Tensor>(x: T): T => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-24))) as T;

  // u·W with a hand-written gradient for W only: tfjs' own MatMul gradient calls matMul with
  // transposeA, which the wasm backend runs ≈15× slower than an explicit transpose + plain matMul
  // (measured: 768×256·256×64, 20 ms vs 1.3 ms), and u is always constant data needing no gradient.
  const linearOfInput = (u: Tensor2D, w: Variable): Tensor2D => {
    const f = tf.customGrad((...args) => {
      // Saved, so u outlives the forward scope when the caller created it inside minimize().
      (args[1] as (t: Tensor[]) => void)([u]);
      return {
        value: tf.matMul(u, args[0] as Tensor2D),
        gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => [tf.matMul(tf.transpose(saved[0]!), dy as Tensor2D)],
      };
    });
    return f(w) as Tensor2D;
  };

  const embed = (u: Tensor2D): Tensor2D => {
    if (head === null) return l2(u);
    const h = tf.relu(tf.add(linearOfInput(u, head.W), head.b)) as Tensor2D;
    const { mean, variance } = tf.moments(h, -1, true);
    const ln = tf.add(tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, lnEps))), head.gamma), head.beta) as Tensor2D;
    return l2(ln);
  };

  const toRows = (values: Float32Array | Int32Array | Uint8Array, rows: number, cols: number): Float64Array[] =>
    Array.from({ length: rows }, (_, r) => Float64Array.from(values.subarray(r * cols, (r + 1) * cols)));

  return {
    config,
    trainable: head === null ? [E, clsScale, clsBias] : [E, clsScale, clsBias, head.W, head.b, head.gamma, head.beta],
    embed,
    scores: (u) => tf.matMul(embed(u), l2(E as Tensor2D), false, true),
    clsLogits: (s) => tf.add(tf.mul(s, clsScale), clsBias) as Tensor2D,
    export() {
      const embeddings = toRows(E.dataSync(), k, d).map((v) => l2normalizeInPlace(v));
      if (head === null) return { embeddings, projection: null };
      // tfjs keeps W as [inputDim, d] (x·W); the file stores d rows of inputDim (W·u).
      const t = tf.transpose(head.W);
      const wt = t.dataSync();
      t.dispose();
      return {
        embeddings,
        projection: {
          inputDim,
          weight: toRows(wt, d, inputDim),
          bias: Float64Array.from(head.b.dataSync()),
          gamma: Float64Array.from(head.gamma.dataSync()),
          beta: Float64Array.from(head.beta.dataSync()),
          eps: lnEps,
        },
      };
    },
    dispose() {
      for (const v of this.trainable) v.dispose();
    },
  };
}
