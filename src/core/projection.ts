/**
 * The prior's input head in float64: x = L2normalize(LayerNorm(ReLU(W·u + b))) (docs/formats.md),
 * the same function the offline trainer (tfjs, float32) learned, so the router sees the contexts the
 * RM embeddings were fitted to. Pure: no I/O, no tfjs.
 */

import { RouterError } from './errors.ts';
import type { PriorFile, Projection } from './prior.ts';

/** Floor on the norm before dividing, as torch's F.normalize(eps = 1e-12): a zero vector stays zero. */
export const L2_EPS = 1e-12;

/** Scales v in place to unit L2 norm (zero stays zero); returns v. */
export function l2normalizeInPlace(v: Float64Array): Float64Array {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i]! * v[i]!;
  const inv = 1 / Math.max(Math.sqrt(ss), L2_EPS);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
  return v;
}

/**
 * Applies the projection head to an input of width `p.inputDim`; returns a fresh unit-norm d-vector.
 * LayerNorm uses the biased (population) variance over the d features, as torch.nn.LayerNorm does.
 * The caller validates `u` (see `identityOrProject`).
 */
export function applyProjection(p: Projection, u: ArrayLike<number>): Float64Array {
  const d = p.weight.length;
  const h = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const row = p.weight[i]!;
    let acc = p.bias[i]!;
    for (let j = 0; j < p.inputDim; j++) acc += row[j]! * u[j]!;
    h[i] = acc > 0 ? acc : 0; // ReLU
  }
  let mean = 0;
  for (let i = 0; i < d; i++) mean += h[i]!;
  mean /= d;
  let variance = 0;
  for (let i = 0; i < d; i++) variance += (h[i]! - mean) ** 2;
  variance /= d;
  const inv = 1 / Math.sqrt(variance + p.eps);
  for (let i = 0; i < d; i++) h[i] = (h[i]! - mean) * inv * p.gamma[i]! + p.beta[i]!;
  return l2normalizeInPlace(h);
}

/**
 * Turns a raw context into the router's unit-norm d-vector: through the projection when the prior has
 * one (then the context must have width `inputDim`), else L2-normalized as is (width d). Normalizing
 * the identity path matches training, where the model scores <x/‖x‖, e_k>.
 * Throws `RR_INVALID_CONTEXT` (field `context` or `context[i]`) on a wrong width or a NaN/Inf.
 */
export function identityOrProject(prior: Pick<PriorFile, 'd' | 'projection'>, x: ArrayLike<number>): Float64Array {
  const width = prior.projection === null ? prior.d : prior.projection.inputDim;
  if (x.length !== width) {
    throw new RouterError('RR_INVALID_CONTEXT', `context has width ${x.length}, the prior expects ${width}`, {
      field: 'context',
      expected: width,
      actual: x.length,
    });
  }
  for (let i = 0; i < width; i++) {
    const v = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RouterError('RR_INVALID_CONTEXT', `context[${i}] is not a finite number (${String(v)})`, { field: `context[${i}]` });
    }
  }
  if (prior.projection !== null) return applyProjection(prior.projection, x);
  return l2normalizeInPlace(Float64Array.from(x));
}
