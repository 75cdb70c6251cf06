/**
 * Tracing of a window close: published on `rr:aggregator:deltas` (src/telemetry/channels.ts) before
 * the transaction, ended when it commits or fails; nothing traces, the outbox goes on unchanged.
 * What the subscriber makes of it: each kept pair gets a `send posterior-deltas` span in its own
 * trace, a child of its LOSS record's context, covering the transaction that carries its row (its
 * reward, loss and source offset as attributes): the aggregator's consume-transform-produce of that
 * record in one span, so the pair's trace shows the transactional send and what its feedback
 * became. (A separate process span per LOSS would double the aggregator's spans for nothing the
 * send span does not say; records that produce nothing, decisions and BATCH_END, get none.) Each
 * delta record gets one more span, linked to the pairs' spans of its RM (fan-in: a delta belongs
 * to many traces), whose context goes into the delta's headers for the store to continue.
 */
import { traceDeltas } from '../../src/telemetry/channels.ts';
import type { ClosedBatch } from './core.ts';
import type { Outbox } from '../runtime/txnQueue.ts';

export function traceClose(box: Outbox, closed: ClosedBatch, deltasTopic: string): Outbox {
  // The delta records come first in the outbox, one per RM in deltaRms' order; dead letters follow.
  const traced = traceDeltas(
    { stage: 'aggregator', topic: deltasTopic, batch: closed.batch, rows: closed.rows, rms: closed.deltaRms },
    box.records,
  );
  if (traced.end === undefined) return box;
  const end = traced.end;
  return {
    records: traced.records as Outbox['records'],
    offsets: box.offsets,
    done: (err) => {
      box.done?.(err);
      end(err);
    },
  };
}
