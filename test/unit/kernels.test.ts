import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { quadFormsKernel, quadFormsWasm, setQuadFormsKernel } from '../../src/core/kernels/quadforms.ts';
import { choleskyUpper, quadFormsBatch, quadFormsBatchJs } from '../../src/core/linalg.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { unitVector } from '../helpers/vectors.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmAvailable = quadFormsKernel() === 'wasm-simd';

const unit = unitVector;

/** A real posterior factor: prior λ0·I, then `updates` rank-one updates. */
function factor(d: number, updates: number, seed: number): Float64Array {
  const s = new CounterRng(seed, 'kernels').sequence(`arm-${d}`);
  const p = ArmPosterior.fromPrior(unit(s, d), { lambda0: 50, sigma2: 1, refreshEvery: 0 });
  for (let t = 0; t < updates; t++) p.update(unit(s, d), s.uniform());
  return p.factor;
}

function contexts(N: number, d: number, seed: number): Float64Array {
  const s = new CounterRng(seed, 'kernels').sequence(`x-${N}-${d}`);
  const X = new Float64Array(N * d);
  for (let n = 0; n < N; n++) X.set(unit(s, d), n * d);
  return X;
}

function assertSameBits(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let n = 0; n < want.length; n++) {
    if (!Object.is(got[n], want[n])) assert.fail(`${what}: element ${n}: ${got[n]} vs ${want[n]}`);
  }
  assert.deepEqual(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(want.buffer, want.byteOffset, want.byteLength));
}

function wasm(U: Float64Array, X: Float64Array, N: number, d: number): Float64Array {
  const out = new Float64Array(N);
  assert.ok(quadFormsWasm(U, X, N, d, out), 'the wasm kernel declined');
  return out;
}

describe('quadForms wasm SIMD kernel', { skip: wasmAvailable ? false : 'WebAssembly SIMD unavailable here: the JS kernel is used' }, () => {
  it('is the kernel quadFormsBatch uses', () => {
    assert.equal(quadFormsKernel(), 'wasm-simd');
  });

  for (const d of [1, 2, 3, 7, 64, 255, 576]) {
    it(`equals the JS kernel bit for bit, d = ${d}, N ∈ {1, 2, 3, 31, 480}`, () => {
      const U = factor(d, d >= 255 ? 120 : 40, 100 + d);
      for (const N of [1, 2, 3, 31, 480]) {
        const X = contexts(N, d, 7 * N + d);
        const js = quadFormsBatchJs(U, X, N, d, new Float64Array(N));
        assertSameBits(wasm(U, X, N, d), js, `d=${d} N=${N}`);
        assertSameBits(quadFormsBatch(U, X, N, d, new Float64Array(N)), js, `dispatch d=${d} N=${N}`);
      }
    });
  }

  it('a context routed alone equals the same context at any position of a batch', () => {
    for (const d of [7, 64, 255]) {
      const U = factor(d, 60, 300 + d);
      const N = 31;
      const X = contexts(N, d, 900 + d);
      const batch = wasm(U, X, N, d);
      for (let n = 0; n < N; n++) {
        const alone = wasm(U, X.subarray(n * d, (n + 1) * d), 1, d);
        assert.ok(Object.is(alone[0], batch[n]), `d=${d}: context ${n} alone ${alone[0]} vs batch ${batch[n]}`);
      }
      // and moved: context 0 at every position of a shuffled batch
      const P = new Float64Array(N * d);
      for (let n = 0; n < N; n++) P.set(X.subarray(((n * 11) % N) * d, (((n * 11) % N) + 1) * d), n * d);
      const moved = wasm(U, P, N, d);
      for (let n = 0; n < N; n++) assert.ok(Object.is(moved[n], batch[(n * 11) % N]), `d=${d}: position ${n}`);
    }
  });

  it('skips leading zeros of the factor like the JS kernel (prior-only and block-sparse factors)', () => {
    const d = 33;
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) A[i * d + i] = 2 + i;
    const diag = choleskyUpper(A, d);
    // couplings only inside [10, 20) and [25, 33): rows with different skylines, paired and not
    const s = new CounterRng(4, 'kernels').sequence('sparse');
    for (let i = 0; i < d; i++)
      for (let j = i + 1; j < d; j++) {
        const inBlock = (i >= 10 && j < 20) || i >= 25;
        if (inBlock) {
          const v = 0.1 * s.normal();
          A[i * d + j] = v;
          A[j * d + i] = v;
        }
      }
    const sparse = choleskyUpper(A, d);
    for (const U of [diag, sparse]) {
      for (const N of [1, 5, 17]) {
        const X = contexts(N, d, 40 + N);
        X[0] = 0; // a zero leading entry in the first context
        assertSameBits(wasm(U, X, N, d), quadFormsBatchJs(U, X, N, d, new Float64Array(N)), `N=${N}`);
      }
    }
  });

  it('keeps the bits across calls that grow and reuse its memory', () => {
    const small = factor(7, 10, 1);
    const big = factor(255, 30, 2);
    const Xs = contexts(3, 7, 3);
    const Xb = contexts(2100, 255, 4); // more than one 4 MiB chunk of contexts
    const first = wasm(small, Xs, 3, 7);
    assertSameBits(wasm(big, Xb, 2100, 255), quadFormsBatchJs(big, Xb, 2100, 255, new Float64Array(2100)), 'big');
    assertSameBits(wasm(small, Xs, 3, 7), first, 'small again');
  });

  it("setQuadFormsKernel('js') makes quadFormsBatch fall back to the JS kernel", () => {
    setQuadFormsKernel('js');
    try {
      assert.equal(quadFormsKernel(), 'js');
      assert.equal(quadFormsWasm(factor(3, 2, 5), contexts(1, 3, 6), 1, 3, new Float64Array(1)), false);
    } finally {
      setQuadFormsKernel('auto');
    }
  });
});

describe('embedded kernel bytes', () => {
  let hasWabt = true;
  try {
    createRequire(import.meta.url).resolve('wabt');
  } catch {
    hasWabt = false;
  }
  it(
    'equal a fresh build of src/core/kernels/quadforms.wat',
    { skip: hasWabt ? false : 'wabt is not installed (npm install): cannot rebuild the kernel to compare' },
    () => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-kernels.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, `build-kernels --check failed:\n${r.stdout}${r.stderr}`);
    },
  );
});
