/**
 * Float64 dense linear algebra for the posterior, in plain loops on purpose:
 * IEEE-754 scalar code gives the same bits on every machine (no BLAS kernel
 * choice, no FMA contraction), which the replay contract depends on.
 *
 * Layout: a Cholesky factor is kept as U = Lᵀ, upper triangular, row-major
 * d×d. Row k of U is column k of L, so the rank-one update, the column-oriented
 * forward solve and the back solve all walk memory contiguously.
 */

/** U (upper, row-major) with Uᵀ U = A. Throws on a non-positive pivot. */
export function choleskyUpper(A: Float64Array, d: number, U: Float64Array = new Float64Array(d * d)): Float64Array {
  U.fill(0);
  for (let k = 0; k < d; k++) {
    const rk = k * d;
    let s = A[rk + k]!;
    for (let p = 0; p < k; p++) { const u = U[p * d + k]!; s -= u * u; }
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

/** Columns per block in `quadFormsBatch`: sized so a d×B block of doubles stays in L2. */
const BLOCK = 32;

/**
 * For N contexts X (N×d row-major), out[n] = ‖U⁻ᵀ xₙ‖² = xₙᵀ (UᵀU)⁻¹ xₙ.
 * A blocked multi-right-hand-side forward solve: each (j, i) step is an axpy
 * over a block of contexts, which is where the batch API earns its speed.
 */
export function quadFormsBatch(U: Float64Array, X: Float64Array, N: number, d: number, out: Float64Array, scratch?: Float64Array): Float64Array {
  const V = scratch && scratch.length >= d * BLOCK ? scratch : new Float64Array(d * BLOCK);
  for (let n0 = 0; n0 < N; n0 += BLOCK) {
    const B = Math.min(BLOCK, N - n0);
    // V[i][c] = X[n0 + c][i] (transpose the block so the solve runs along contiguous rows)
    for (let c = 0; c < B; c++) {
      const xr = (n0 + c) * d;
      for (let i = 0; i < d; i++) V[i * BLOCK + c] = X[xr + i]!;
    }
    for (let j = 0; j < d; j++) {
      const rj = j * d;
      const vj = j * BLOCK;
      const inv = 1 / U[rj + j]!;
      for (let c = 0; c < B; c++) V[vj + c] = V[vj + c]! * inv;
      for (let i = j + 1; i < d; i++) {
        const uji = U[rj + i]!;
        if (uji === 0) continue;
        const vi = i * BLOCK;
        for (let c = 0; c < B; c++) V[vi + c] = V[vi + c]! - uji * V[vj + c]!;
      }
    }
    for (let c = 0; c < B; c++) out[n0 + c] = 0;
    for (let i = 0; i < d; i++) {
      const vi = i * BLOCK;
      for (let c = 0; c < B; c++) { const v = V[vi + c]!; out[n0 + c] = out[n0 + c]! + v * v; }
    }
  }
  return out;
}
