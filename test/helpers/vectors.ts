// Seeded random unit vectors for the core tests (from the project's counter RNG, never Math.random).
import type { RngSequence } from '../../src/core/rng.ts';

export function unitVector(s: RngSequence, d: number): Float64Array {
  const x = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < d; i++) {
    x[i] = s.normal();
    n += x[i]! * x[i]!;
  }
  for (let i = 0; i < d; i++) x[i] = x[i]! / Math.sqrt(n);
  return x;
}
