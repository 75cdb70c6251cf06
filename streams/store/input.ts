/**
 * Decoding and validating a `posterior-deltas` record for the store: a delta it can apply, a record
 * of another run, or a reason to dead-letter it (wrong d, unknown RM, non-finite numbers). Checked
 * here because PosteriorState.apply trusts the rows it is given.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import { codecError } from '../../src/avro/errors.ts';
import type { BusRecord } from '../../src/bus/types.ts';
import type { DeltaBatch } from '../../src/core/delta.ts';
import type { PosteriorState } from '../../src/core/state.ts';

export type StoreInput =
  { kind: 'delta'; arm: number; delta: DeltaBatch } | { kind: 'foreign'; run: string } | { kind: 'dead'; err: unknown };

export async function classifyDelta(codec: RecordCodec, state: PosteriorState, r: BusRecord): Promise<StoreInput> {
  if (r.value === null) return { kind: 'dead', err: codecError('RR_DECODE', 'UNDECODABLE', 'record has no value') };
  try {
    const rec = await codec.decode('posterior-deltas', r.value);
    if (rec.run !== state.run) return { kind: 'foreign', run: rec.run };
    const arm = state.arms.indexOf(rec.rm);
    const where = `delta ${rec.run}/${rec.batch}/${rec.rm}`;
    if (arm < 0) throw codecError('RR_UNKNOWN_ARM', 'UNKNOWN_RM', `${where}: unknown RM`);
    const d = state.d;
    if (rec.d !== d) throw codecError('RR_INVALID_DELTA', 'WRONG_VECTOR_LENGTH', `${where}: d=${rec.d}, posterior d=${d}`);
    for (const row of rec.rows) {
      if (row.x.length !== d)
        throw codecError('RR_INVALID_DELTA', 'WRONG_VECTOR_LENGTH', `${where}: row ${row.pairId} has length ${row.x.length}`);
      if (!Number.isFinite(row.r) || !row.x.every(Number.isFinite))
        throw codecError('RR_INVALID_DELTA', 'NON_FINITE', `${where}: row ${row.pairId} is not finite`);
    }
    const rows = rec.rows.map((row) => ({ pairId: row.pairId, x: Float64Array.from(row.x), r: row.r }));
    return { kind: 'delta', arm, delta: { run: rec.run, batch: rec.batch, rm: rec.rm, d: rec.d, rows } };
  } catch (err) {
    return { kind: 'dead', err };
  }
}
