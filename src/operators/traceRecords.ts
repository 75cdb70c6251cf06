import { defer, finalize, map, tap, type OperatorFunction } from 'rxjs';
import type { BusRecord } from '../bus/types.ts';
import type { RecordOutput } from './processBatches.ts';

/** What a stage's tracer does for one consumed record (src/telemetry implements it). */
export interface RecordTracer {
  /** Opens the record's span (continuing the trace its headers carry). */
  start(record: BusRecord): TracedRecord;
}

export interface TracedRecord {
  /** Puts the span's context on the record's outputs and closes the span. */
  finish(output: RecordOutput): RecordOutput;
  /** Closes the span as failed (the pipeline stopped before the record's outputs). */
  fail(err: unknown): void;
}

/**
 * Wraps a stage's per-record pipeline so that each record has a span from the moment it enters
 * to the moment its outputs are ready, and every output carries that span's context. The inner
 * pipeline emits exactly one output per record, in order (processBatches' contract), so the
 * spans are matched first in, first out, and records in batches keep their own traces.
 */
export function traceRecords(
  tracer: RecordTracer,
  inner: OperatorFunction<BusRecord, RecordOutput>,
): OperatorFunction<BusRecord, RecordOutput> {
  return (records$) =>
    defer(() => {
      const open: TracedRecord[] = [];
      let failure: unknown;
      return records$.pipe(
        tap((record) => {
          open.push(tracer.start(record));
        }),
        inner,
        map((output) => open.shift()!.finish(output)),
        tap({
          error: (err: unknown) => {
            failure = err;
          },
        }),
        // Spans still open when the pipeline stops (an error, or an unsubscribe on close) are ended, never leaked.
        finalize(() => {
          for (const t of open.splice(0)) t.fail(failure ?? new Error('stage stopped before the record was processed'));
        }),
      );
    });
}
