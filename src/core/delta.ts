/**
 * Posterior updates as additive deltas of one (run, batch, rm).
 *
 * A delta carries its observations (x_j, r_j) in pair-id order: that is the
 * low-rank factored form of the sufficient statistics ΔΛ = Σ x xᵀ/σ²,
 * Δb = Σ r x/σ², n. Keeping the factors (not a dense ΔΛ) lets the store apply
 * them as O(d²) rank-one updates, and the fixed order makes the result
 * bit-identical however the rows were split across aggregators and merged.
 */
import { RouterError } from './errors.ts';

export interface DeltaRow {
  pairId: string;
  x: Float64Array;
  r: number;
}

export interface DeltaBatch {
  run: string;
  batch: number;
  rm: string;
  d: number;
  /** Sorted by pair id, no duplicates. */
  rows: DeltaRow[];
}

export interface ArmUpdate {
  pairId: string;
  arm: number;
  x: Float64Array;
  r: number;
}

export function deltaKey(d: { run: string; batch: number; rm: string }): string {
  return `${d.run}/${d.batch}/${d.rm}`;
}

const byPairId = (a: DeltaRow, b: DeltaRow): number => (a.pairId < b.pairId ? -1 : a.pairId > b.pairId ? 1 : 0);

function checkRow(row: DeltaRow, d: number, where: string): void {
  if (row.x.length !== d)
    throw new RouterError('RR_INVALID_DELTA', `${where}.x has length ${row.x.length}, expected ${d}`, { field: `${where}.x` });
  if (!Number.isFinite(row.r)) throw new RouterError('RR_INVALID_DELTA', `${where}.r is ${row.r}`, { field: `${where}.r` });
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(row.x[i]))
      throw new RouterError('RR_INVALID_DELTA', `${where}.x[${i}] is ${row.x[i]}`, { field: `${where}.x[${i}]` });
  }
}

/** One delta per arm (empty ones too, so the store can advance every arm's batch counter). */
export function buildDeltas(run: string, batch: number, arms: readonly string[], d: number, updates: readonly ArmUpdate[]): DeltaBatch[] {
  const rows: DeltaRow[][] = arms.map(() => []);
  updates.forEach((u, i) => {
    const list = rows[u.arm];
    if (list === undefined)
      throw new RouterError('RR_UNKNOWN_ARM', `update[${i}] names arm ${u.arm}; there are ${arms.length}`, { field: `updates[${i}].arm` });
    const row = { pairId: u.pairId, x: u.x, r: u.r };
    checkRow(row, d, `updates[${i}]`);
    list.push(row);
  });
  return arms.map((rm, k) => normalizeDelta({ run, batch, rm, d, rows: rows[k]! }));
}

/** Sort rows by pair id and reject duplicates with different contents. */
export function normalizeDelta(delta: DeltaBatch): DeltaBatch {
  const rows = [...delta.rows].sort(byPairId);
  const out: DeltaRow[] = [];
  for (const row of rows) {
    const prev = out[out.length - 1];
    if (prev && prev.pairId === row.pairId) {
      if (prev.r !== row.r || prev.x.some((v, i) => v !== row.x[i])) {
        throw new RouterError('RR_INVALID_DELTA', `pair ${row.pairId} appears twice with different values in ${deltaKey(delta)}`, {
          field: 'rows',
          pairId: row.pairId,
        });
      }
      continue; // the same observation delivered twice: keep one
    }
    out.push(row);
  }
  return { ...delta, rows: out };
}

/** Merge partial deltas of the same (run, batch, arm); commutative and associative. */
export function mergeDeltas(a: DeltaBatch, b: DeltaBatch): DeltaBatch {
  if (deltaKey(a) !== deltaKey(b) || a.d !== b.d) {
    throw new RouterError('RR_INVALID_DELTA', `cannot merge ${deltaKey(a)} (d=${a.d}) with ${deltaKey(b)} (d=${b.d})`, { field: 'key' });
  }
  return normalizeDelta({ ...a, rows: [...a.rows, ...b.rows] });
}

/** The dense sufficient statistics of a delta (for inspection and tests). */
export function sufficientStats(delta: DeltaBatch, sigma2 = 1): { dLambda: Float64Array; db: Float64Array; n: number } {
  const { d } = delta;
  const dLambda = new Float64Array(d * d);
  const db = new Float64Array(d);
  for (const { x, r } of delta.rows) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) dLambda[i * d + j] = dLambda[i * d + j]! + (x[i]! * x[j]!) / sigma2;
      db[i] = db[i]! + (r * x[i]!) / sigma2;
    }
  }
  return { dLambda, db, n: delta.rows.length };
}
