/**
 * Shapes the stream operators pass along. A `Work` item carries the source
 * record with whatever came out of it so far, plus the parts of it that were
 * rejected, so one record's valid pairs go on while its bad ones become dead
 * letters, and the app can acknowledge the record once everything is sent.
 */
import type { BusRecord } from '../bus/types.ts';
import type { DeadLetterReason } from '../records/types.ts';

/** Something a stage cannot process: the record it came from, why, and (optionally) the reason code. */
export interface Rejected {
  record: BusRecord;
  error: unknown;
  /** Overrides `reasonOf(error)`. */
  reason?: DeadLetterReason;
}

/** A record on its way through a stage; `value` is undefined once the whole record was rejected. */
export interface Work<T> {
  record: BusRecord;
  value: T | undefined;
  rejected: Rejected[];
}
