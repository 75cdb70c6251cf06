/**
 * Float64 dense linear algebra for the posterior, in plain loops on purpose:
 * IEEE-754 scalar code gives the same bits on every machine (no BLAS kernel
 * choice, no FMA contraction), which the replay contract depends on.
 *
 * Layout: a Cholesky factor is kept as U = Lᵀ, upper triangular, row-major
 * d×d. Row k of U is column k of L, so the rank-one update, the column-oriented
 * forward solve and the back solve all walk memory contiguously.
 */
import { quadFormsWasm } from './kernels/quadforms.ts';
import { packLowerSkyline } from './kernels/skyline.ts';

/** U (upper, row-major) with Uᵀ U = A. Throws on a non-positive pivot. */
export function choleskyUpper(A: Float64Array, d: number, U: Float64Array = new Float64Array(d * d)): Float64Array {
  U.fill(0);
  for (let k = 0; k < d; k++) {
    const rk = k * d;
    let s = A[rk + k]!;
    for (let p = 0; p < k; p++) {
      const u = U[p * d + k]!;
      s -= u * u;
    }
    if (!(s > 0)) throw new RangeError(`matrix not positive definite at pivot ${k} (${s})`);
    const ukk = Math.sqrt(s);
    U[rk + k] = ukk;
    for (let j = k + 1; j < d; j++) {
      let t = A[rk + j]!;
      for (let p = 0; p < k; p++) t -= U[p * d + k]! * U[p * d + j]!;
      U[rk + j] = t / ukk;
    }
  }
  return U;
}

/**
 * In-place rank-one update: U ← chol(UᵀU + xxᵀ). O(d²), numerically stable
 * (Givens-style rotations, no subtraction of squares). `x` is used as scratch.
 */
export function cholUpdate(U: Float64Array, x: Float64Array, d: number): void {
  for (let k = 0; k < d; k++) {
    const rk = k * d;
    const ukk = U[rk + k]!;
    const xk = x[k]!;
    const r = Math.sqrt(ukk * ukk + xk * xk);
    const c = r / ukk;
    const s = xk / ukk;
    U[rk + k] = r;
    for (let i = k + 1; i < d; i++) {
      const u = (U[rk + i]! + s * x[i]!) / c;
      U[rk + i] = u;
      x[i] = c * x[i]! - s * u;
    }
  }
}

/** Solve Uᵀ y = b (i.e. L y = b), column-oriented so rows of U are read contiguously. */
export function forwardSolve(U: Float64Array, b: ArrayLike<number>, d: number, y: Float64Array = new Float64Array(d)): Float64Array {
  for (let i = 0; i < d; i++) y[i] = b[i]!;
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    const yj = y[j]! / U[rj + j]!;
    y[j] = yj;
    for (let i = j + 1; i < d; i++) y[i] = y[i]! - U[rj + i]! * yj;
  }
  return y;
}

/** Solve U z = y (back substitution). */
export function backSolve(U: Float64Array, y: ArrayLike<number>, d: number, z: Float64Array = new Float64Array(d)): Float64Array {
  for (let i = d - 1; i >= 0; i--) {
    const ri = i * d;
    let t = y[i]!;
    for (let j = i + 1; j < d; j++) t -= U[ri + j]! * z[j]!;
    z[i] = t / U[ri + i]!;
  }
  return z;
}

/** Solve (UᵀU) z = b. */
export function cholSolve(U: Float64Array, b: ArrayLike<number>, d: number, out: Float64Array = new Float64Array(d)): Float64Array {
  const y = forwardSolve(U, b, d);
  return backSolve(U, y, d, out);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, d: number, aOffset = 0, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[aOffset + i]! * b[bOffset + i]!;
  return s;
}

/** Contexts per register block in `quadFormsBatch` (4 columns × 2 rows = 8 accumulators). */
const QF_COLS = 4;

/** Packed copy of L = Uᵀ (row i holds L[i][0..i]), grown on demand and reused across calls. */
let qfPacked = new Float64Array(0);
/** Per row of L, the index of its first nonzero entry (the skyline; leading zeros are skipped). */
let qfStart = new Int32Array(0);

function qfPackLower(U: Float64Array, d: number): void {
  const size = (d * (d + 1)) / 2;
  if (qfPacked.length < size) qfPacked = new Float64Array(size);
  if (qfStart.length < d) qfStart = new Int32Array(d);
  packLowerSkyline(U, d, qfPacked, qfStart);
}

/**
 * For N contexts X (N×d row-major), out[n] = ‖U⁻ᵀ xₙ‖² = xₙᵀ (UᵀU)⁻¹ xₙ.
 *
 * A left-looking (dot-product) forward solve L y = x with L = Uᵀ, run on
 * QF_COLS contexts at once and two rows at a time: each loaded L[i][j] serves
 * QF_COLS contexts and each loaded y_j serves two rows, all in registers.
 *
 * Reproducibility: every context's column sees the same floating-point
 * operations in the same order whatever its position or batch size:
 *   y_i = ((((x_i − L[i][s]·y_s) − L[i][s+1]·y_{s+1}) − …) − L[i][i−1]·y_{i−1}) · (1/L[i][i])
 * with s = the first nonzero column of the row pair (from U alone), then
 * out = ((y_0² + y_1²) + …) + y_{d−1}². Padding lanes of a partial block are
 * independent of the real ones. (Skipped leading zeros change at most the sign
 * of a zero, which squaring removes.)
 */
export function quadFormsBatch(
  U: Float64Array,
  X: Float64Array,
  N: number,
  d: number,
  out: Float64Array,
  scratch?: Float64Array,
): Float64Array {
  if (N <= 0) return out;
  // The WebAssembly SIMD kernel (kernels/quadforms.wat) gives the same bits per context, ≈ 3–4×
  // faster; it declines (false) where wasm SIMD is missing or the inputs do not fit its memory.
  if (quadFormsWasm(U, X, N, d, out)) return out;
  return quadFormsBatchJs(U, X, N, d, out, scratch);
}

/**
 * The JS kernel of `quadFormsBatch`: the fallback, and the reference the wasm kernel must
 * match bit for bit (test/unit/kernels.test.ts).
 */
export function quadFormsBatchJs(
  U: Float64Array,
  X: Float64Array,
  N: number,
  d: number,
  out: Float64Array,
  scratch?: Float64Array,
): Float64Array {
  if (N <= 0) return out;
  qfPackLower(U, d);
  const Lp = qfPacked;
  const start = qfStart;
  const ws = scratch && scratch.length >= (QF_COLS + 1) * d ? scratch : new Float64Array((QF_COLS + 1) * d);
  // Y[j*4 + c] = y_j of context c of the block; inv[i] at ws[4d + i]
  const Y = ws;
  const invOff = QF_COLS * d;
  for (let i = 0; i < d; i++) ws[invOff + i] = 1 / U[i * d + i]!;
  for (let n0 = 0; n0 < N; n0 += QF_COLS) {
    const B = Math.min(QF_COLS, N - n0);
    for (let c = 0; c < QF_COLS; c++) {
      if (c < B) {
        const xr = (n0 + c) * d;
        for (let i = 0; i < d; i++) Y[i * QF_COLS + c] = X[xr + i]!;
      } else {
        for (let i = 0; i < d; i++) Y[i * QF_COLS + c] = 0;
      }
    }
    let i = 0;
    for (; i + 1 < d; i += 2) {
      const r0 = (i * (i + 1)) / 2;
      const r1 = r0 + i + 1;
      const y0 = i * QF_COLS;
      const y1 = y0 + QF_COLS;
      let a0 = Y[y0]!,
        a1 = Y[y0 + 1]!,
        a2 = Y[y0 + 2]!,
        a3 = Y[y0 + 3]!;
      let b0 = Y[y1]!,
        b1 = Y[y1 + 1]!,
        b2 = Y[y1 + 2]!,
        b3 = Y[y1 + 3]!;
      const s0 = start[i]!,
        s1 = start[i + 1]!;
      for (let j = s0 < s1 ? s0 : s1; j < i; j++) {
        const l = Lp[r0 + j]!;
        const m = Lp[r1 + j]!;
        const yj = j * QF_COLS;
        const v0 = Y[yj]!,
          v1 = Y[yj + 1]!,
          v2 = Y[yj + 2]!,
          v3 = Y[yj + 3]!;
        a0 -= l * v0;
        a1 -= l * v1;
        a2 -= l * v2;
        a3 -= l * v3;
        b0 -= m * v0;
        b1 -= m * v1;
        b2 -= m * v2;
        b3 -= m * v3;
      }
      const s = ws[invOff + i]!;
      a0 *= s;
      a1 *= s;
      a2 *= s;
      a3 *= s;
      const m = Lp[r1 + i]!;
      b0 -= m * a0;
      b1 -= m * a1;
      b2 -= m * a2;
      b3 -= m * a3;
      const t = ws[invOff + i + 1]!;
      b0 *= t;
      b1 *= t;
      b2 *= t;
      b3 *= t;
      Y[y0] = a0;
      Y[y0 + 1] = a1;
      Y[y0 + 2] = a2;
      Y[y0 + 3] = a3;
      Y[y1] = b0;
      Y[y1 + 1] = b1;
      Y[y1 + 2] = b2;
      Y[y1 + 3] = b3;
    }
    if (i < d) {
      // last row when d is odd
      const r0 = (i * (i + 1)) / 2;
      const y0 = i * QF_COLS;
      let a0 = Y[y0]!,
        a1 = Y[y0 + 1]!,
        a2 = Y[y0 + 2]!,
        a3 = Y[y0 + 3]!;
      for (let j = start[i]!; j < i; j++) {
        const l = Lp[r0 + j]!;
        const yj = j * QF_COLS;
        a0 -= l * Y[yj]!;
        a1 -= l * Y[yj + 1]!;
        a2 -= l * Y[yj + 2]!;
        a3 -= l * Y[yj + 3]!;
      }
      const s = ws[invOff + i]!;
      Y[y0] = a0 * s;
      Y[y0 + 1] = a1 * s;
      Y[y0 + 2] = a2 * s;
      Y[y0 + 3] = a3 * s;
    }
    for (let c = 0; c < B; c++) {
      let q = 0;
      for (let k = 0; k < d; k++) {
        const v = Y[k * QF_COLS + c]!;
        q += v * v;
      }
      out[n0 + c] = q;
    }
  }
  return out;
}
