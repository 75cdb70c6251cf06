import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import type { Projection } from '../../src/core/prior.ts';
import { applyProjection, identityOrProject, l2normalizeInPlace } from '../../src/core/projection.ts';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

// inputDim 2 → d 3. eps is chosen so var + eps = 1 and the hand computation stays exact.
function proj(bias: number[], eps: number, gamma = [1, 1, 1], beta = [0, 0, 0]): Projection {
  return { inputDim: 2, weight: [f64([1, 0]), f64([0, 1]), f64([1, 1])], bias: f64(bias), gamma: f64(gamma), beta: f64(beta), eps };
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
}

describe('applyProjection', () => {
  it('matches a hand computation: W·u + b = [1, 2, 2], LayerNorm, L2', () => {
    // h = [1, 2, 2]; mean 5/3; deviations [−2/3, 1/3, 1/3]; var 2/9; eps 7/9 → 1/sqrt(1) = 1.
    // LN = [−2/3, 1/3, 1/3]; norm sqrt(6)/3 → [−2, 1, 1]/√6.
    const s6 = Math.sqrt(6);
    close(applyProjection(proj([0, 0, -1], 7 / 9), [1, 2]), [-2 / s6, 1 / s6, 1 / s6]);
  });

  it('applies ReLU before LayerNorm', () => {
    // W·u + b = [1, 2, −2] → ReLU [1, 2, 0]; mean 1; deviations [0, 1, −1]; var 2/3; eps 1/3 → inv 1.
    close(applyProjection(proj([0, 0, -5], 1 / 3), [1, 2]), [0, Math.SQRT1_2, -Math.SQRT1_2]);
  });

  it('applies gamma and beta', () => {
    // As the first case, then ·gamma [3, 0, 0] + beta [0, 1, 1] → [−2, 1, 1] → /√6.
    const s6 = Math.sqrt(6);
    close(applyProjection(proj([0, 0, -1], 7 / 9, [3, 0, 0], [0, 1, 1]), [1, 2]), [-2 / s6, 1 / s6, 1 / s6]);
  });

  it('returns a unit vector and leaves the input alone', () => {
    const u = f64([0.3, -0.7]);
    const x = applyProjection(proj([0.1, 0.2, 0.3], 1e-5), u);
    assert.ok(Math.abs(Math.hypot(...x) - 1) < 1e-12);
    assert.deepEqual(u, f64([0.3, -0.7]));
  });

  it('keeps a zero vector zero instead of dividing by zero', () => {
    assert.deepEqual(l2normalizeInPlace(new Float64Array(3)), new Float64Array(3));
  });
});

describe('identityOrProject', () => {
  const identity = { d: 3, projection: null };

  it('L2-normalizes a context of width d when the prior has no projection', () => {
    close(identityOrProject(identity, [3, 0, 4]), [0.6, 0, 0.8]);
  });

  it('projects a context of width inputDim', () => {
    const p = proj([0, 0, -1], 7 / 9);
    const s6 = Math.sqrt(6);
    close(identityOrProject({ d: 3, projection: p }, [1, 2]), [-2 / s6, 1 / s6, 1 / s6]);
  });

  it('rejects a wrong width with field "context"', () => {
    for (const [prior, x] of [
      [identity, [1, 2]],
      [{ d: 3, projection: proj([0, 0, 0], 1e-5) }, [1, 2, 3]],
    ] as const) {
      assert.throws(
        () => identityOrProject(prior, x),
        (e) => isRouterError(e, 'RR_INVALID_CONTEXT') && e.field === 'context',
      );
    }
  });

  it('rejects NaN and ±Infinity naming the coordinate', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      assert.throws(
        () => identityOrProject(identity, [1, bad, 0]),
        (e) => isRouterError(e, 'RR_INVALID_CONTEXT') && e.field === 'context[1]',
      );
    }
    assert.throws(
      () => identityOrProject({ d: 3, projection: proj([0, 0, 0], 1e-5) }, [Number.NaN, 0]),
      (e) => isRouterError(e, 'RR_INVALID_CONTEXT') && e.field === 'context[0]',
    );
  });
});
