/**
 * One RM's posterior ↔ its `posteriors` record. Matrices travel as float64 LE bytes
 * (src/avro/f64.ts), so a snapshot read back restores bit for bit.
 */
import { bytesToF64, f64ToBytes } from '../../src/avro/f64.ts';
import type { ArmStateSnapshot } from '../../src/core/state.ts';
import type { PosteriorSnapshot } from '../../src/records/types.ts';

export function toSnapshotRecord(s: ArmStateSnapshot): PosteriorSnapshot {
  const p = s.posterior;
  return {
    run: s.run,
    rm: s.rm,
    version: s.version,
    d: p.d,
    lambda0: p.lambda0,
    sigma2: p.sigma2,
    refreshEvery: p.refreshEvery,
    n: p.n,
    sinceRefresh: p.sinceRefresh,
    precision: f64ToBytes(p.precision),
    b: f64ToBytes(p.b),
    factor: f64ToBytes(p.factor),
    applied: { [s.run]: s.version },
  };
}

/** Throws (reason WRONG_VECTOR_LENGTH) when a matrix does not match d. */
export function fromSnapshotRecord(r: PosteriorSnapshot): ArmStateSnapshot {
  const dd = r.d * r.d;
  return {
    rm: r.rm,
    run: r.run,
    version: r.version,
    posterior: {
      d: r.d,
      lambda0: r.lambda0,
      sigma2: r.sigma2,
      refreshEvery: r.refreshEvery,
      n: r.n,
      sinceRefresh: r.sinceRefresh,
      precision: bytesToF64(r.precision, dd, 'precision'),
      b: bytesToF64(r.b, r.d, 'b'),
      factor: bytesToF64(r.factor, dd, 'factor'),
    },
  };
}
