/**
 * Writes L = Uᵀ packed by rows into `Lp` (row i at offset i(i+1)/2) and each row's first nonzero
 * column into `start`. Depends only on U, never on the contexts. Shared by the JS and the wasm
 * kernel, so both walk exactly the same skyline.
 */
export function packLowerSkyline(U: Float64Array, d: number, Lp: Float64Array, start: Int32Array): void {
  for (let i = 0; i < d; i++) {
    const o = (i * (i + 1)) / 2;
    let first = i;
    for (let j = 0; j <= i; j++) {
      const v = U[j * d + i]!;
      Lp[o + j] = v;
      if (v !== 0 && j < first) first = j;
    }
    start[i] = first;
  }
}
