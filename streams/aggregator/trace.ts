/**
 * Tracing of a window close (tracing on only). Each kept pair gets a `send posterior-deltas` span
 * in its own trace, a child of its LOSS record's context, covering the transaction that carries its
 * row (its reward, loss and source offset as attributes): the aggregator's consume-transform-produce
 * of that record in one span, so the pair's trace shows the transactional send and what its
 * feedback became. (A separate process span per LOSS would double the aggregator's spans for
 * nothing the send span does not say; records that produce nothing, decisions and BATCH_END, get none.) Each delta record gets one more span, linked to the
 * pairs' spans of its RM (fan-in: a delta belongs to many traces), whose context goes into the
 * delta's headers for the store to continue. Every span ends when the transaction commits or fails.
 */
import type { Span } from '@opentelemetry/api';
import { ATTR } from '../../src/telemetry/attributes.ts';
import { Telemetry } from '../../src/telemetry/telemetry.ts';
import type { ClosedBatch } from './core.ts';
import type { Outbox } from '../runtime/txnQueue.ts';

export function traceClose(tel: Telemetry, box: Outbox, closed: ClosedBatch, deltasTopic: string): Outbox {
  const spans: Span[] = [];
  const byRm = new Map<string, Span[]>();
  for (const row of closed.rows) {
    tel.reward(row.rm, row.reward);
    // The LOSS record's own context (the trainer's send): consume, transform and produce in one span.
    const span = tel.send(deltasTopic, 'aggregator', tel.extract(row.record.headers), {
      [ATTR.transactional]: true, [ATTR.batch]: closed.batch, [ATTR.pairId]: row.pairId, [ATTR.rm]: row.rm, [ATTR.reward]: row.reward, [ATTR.loss]: row.loss,
      'rr.source.topic': row.record.topic, 'rr.source.partition': row.record.partition, 'rr.source.offset': Number(row.record.offset),
    });
    spans.push(span);
    let list = byRm.get(row.rm);
    if (list === undefined) byRm.set(row.rm, list = []);
    list.push(span);
  }
  const deltaSpans = closed.deltaRms.map((rm) => {
    const pairs = byRm.get(rm) ?? [];
    const { links, dropped } = Telemetry.links(pairs);
    const span = tel.send(deltasTopic, 'aggregator', undefined, {
      [ATTR.transactional]: true, [ATTR.batch]: closed.batch, [ATTR.rm]: rm, [ATTR.batchCount]: pairs.length, 'rr.links.dropped': dropped,
    }, links);
    spans.push(span);
    return span;
  });
  // The delta records come first in the outbox, one per RM in deltaRms' order; dead letters follow.
  const records = box.records.map((r, i) => (i < deltaSpans.length ? Promise.resolve(r).then((out) => tel.inject(deltaSpans[i]!, [out])[0]!) : r));
  return {
    records: records as Outbox['records'],
    offsets: box.offsets,
    done: (err) => { box.done?.(err); for (const span of spans) Telemetry.end(span, err); },
  };
}
