import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choleskyUpper, cholUpdate, quadFormsBatch, forwardSolve } from '../../src/core/linalg.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { unitVector } from '../helpers/vectors.ts';

const unit = unitVector;

/** Gaussian elimination with partial pivoting: the "direct solve" reference. */
function directSolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const M = A.slice();
  const y = b.slice();
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r * d + c]!) > Math.abs(M[p * d + c]!)) p = r;
    if (p !== c) {
      for (let j = 0; j < d; j++) {
        const t = M[c * d + j]!;
        M[c * d + j] = M[p * d + j]!;
        M[p * d + j] = t;
      }
      const t = y[c]!;
      y[c] = y[p]!;
      y[p] = t;
    }
    for (let r = c + 1; r < d; r++) {
      const f = M[r * d + c]! / M[c * d + c]!;
      for (let j = c; j < d; j++) M[r * d + j] = M[r * d + j]! - f * M[c * d + j]!;
      y[r] = y[r]! - f * y[c]!;
    }
  }
  const x = new Float64Array(d);
  for (let r = d - 1; r >= 0; r--) {
    let s = y[r]!;
    for (let j = r + 1; j < d; j++) s -= M[r * d + j]! * x[j]!;
    x[r] = s / M[r * d + r]!;
  }
  return x;
}

describe('ArmPosterior', () => {
  it('starts at the prior: μ = e, Λ = λ0·I', () => {
    const e = Float64Array.from([0.6, 0.8, 0]);
    const p = ArmPosterior.fromPrior(e, { lambda0: 50, sigma2: 1, refreshEvery: 0 });
    p.mean.forEach((m, i) => assert.ok(Math.abs(m - e[i]!) < 1e-15, `mean[${i}] = ${m}`));
    assert.equal(p.precision[0], 50);
  });

  it('after 10,000 updates the mean equals a direct solve within 1e-9 relative', () => {
    const d = 24;
    const s = new CounterRng(3, 'post').sequence('x');
    for (const refreshEvery of [0, 2048]) {
      const p = ArmPosterior.fromPrior(unit(s, d), { lambda0: 50, sigma2: 1, refreshEvery });
      for (let i = 0; i < 10_000; i++) p.update(unit(s, d), s.uniform());
      const ref = directSolve(p.precision, p.b, d);
      let err = 0,
        norm = 0;
      for (let i = 0; i < d; i++) {
        err = Math.max(err, Math.abs(p.mean[i]! - ref[i]!));
        norm = Math.max(norm, Math.abs(ref[i]!));
      }
      assert.ok(err / norm < 1e-9, `refreshEvery=${refreshEvery}: relative error ${err / norm}`);
      const health = p.check();
      assert.ok(health.residual < 1e-10, `residual ${health.residual}`);
      assert.ok(health.factorError < 1e-10, `factor error ${health.factorError}`);
    }
  });

  it('σ² scales both the precision and the reward term', () => {
    const x = Float64Array.from([1, 0]);
    const p = ArmPosterior.fromPrior([0, 0], { lambda0: 1, sigma2: 4, refreshEvery: 0 });
    p.update(x, 2);
    assert.equal(p.precision[0], 1.25);
    assert.equal(p.b[0], 0.5);
    assert.ok(Math.abs(p.mean[0]! - 0.4) < 1e-15);
  });

  it('restores from a snapshot bit for bit, and keeps evolving identically', () => {
    const d = 8;
    const s = new CounterRng(5, 'snap').sequence('x');
    const p = ArmPosterior.fromPrior(unit(s, d), { lambda0: 50, sigma2: 1, refreshEvery: 7 });
    for (let i = 0; i < 20; i++) p.update(unit(s, d), s.uniform());
    const q = ArmPosterior.restore(p.snapshot());
    for (let i = 0; i < 20; i++) {
      const x = unit(s, d);
      const r = s.uniform();
      p.update(x, r);
      q.update(x, r);
    }
    assert.deepEqual(Buffer.from(q.mean.buffer), Buffer.from(p.mean.buffer));
    assert.deepEqual(Buffer.from(q.factor.buffer), Buffer.from(p.factor.buffer));
  });
});

describe('linalg', () => {
  it('rank-one updates track a fresh factorization', () => {
    const d = 10;
    const s = new CounterRng(9, 'la').sequence('x');
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) A[i * d + i] = 2;
    const U = choleskyUpper(A, d);
    for (let t = 0; t < 50; t++) {
      const x = unit(s, d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) A[i * d + j] = A[i * d + j]! + x[i]! * x[j]!;
      cholUpdate(U, x.slice(), d);
    }
    const F = choleskyUpper(A, d);
    for (let i = 0; i < d * d; i++) assert.ok(Math.abs(U[i]! - F[i]!) < 1e-12);
  });

  it('batched quadratic forms equal one-at-a-time solves, bit for bit', () => {
    const d = 40,
      N = 70;
    const s = new CounterRng(11, 'qf').sequence('x');
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) A[i * d + i] = 3;
    const U = choleskyUpper(A, d);
    for (let t = 0; t < 30; t++) cholUpdate(U, unit(s, d), d);
    const X = new Float64Array(N * d);
    for (let n = 0; n < N; n++) X.set(unit(s, d), n * d);
    const batch = quadFormsBatch(U, X, N, d, new Float64Array(N));
    for (let n = 0; n < N; n++) {
      const one = quadFormsBatch(U, X.subarray(n * d, (n + 1) * d), 1, d, new Float64Array(1));
      assert.equal(one[0], batch[n]);
      const y = forwardSolve(U, X.subarray(n * d, (n + 1) * d), d);
      let q = 0;
      for (let i = 0; i < d; i++) q += y[i]! * y[i]!;
      assert.ok(Math.abs(q - batch[n]!) <= 1e-12 * q);
    }
  });
});
