/**
 * The OpenTelemetry side of the apps' channels (channels.ts): subscribing a Telemetry turns each
 * published message into the spans, header context and metrics the apps used to make themselves.
 * startTelemetry subscribes when tracing is on; its shutdown unsubscribes.
 */
import type { TracingChannelSubscribers } from 'node:diagnostics_channel';
import { diag, type Attributes, type Span } from '@opentelemetry/api';
import type { BusRecord, OutRecord } from '../bus/types.ts';
import { ATTR } from './attributes.ts';
import {
  decisionsChannel,
  deltasChannel,
  processChannel,
  rmCallChannel,
  sendChannel,
  type DecisionsMessage,
  type DeltasMessage,
  type Outgoing,
  type ProcessMessage,
  type RmCallMessage,
  type SendMessage,
  type SendSpan,
  type TraceFields,
} from './channels.ts';
import { Telemetry } from './telemetry.ts';

/** The fields a message says, as attributes. */
function fields(f: TraceFields): Attributes {
  const a: Attributes = {};
  if (f.run !== undefined) a[ATTR.run] = f.run;
  if (f.batch !== undefined) a[ATTR.batch] = f.batch;
  if (f.promptId !== undefined) a[ATTR.promptId] = f.promptId;
  return a;
}

/** Writes the span's context into the headers of `records[from, to)`; a record still being encoded is replaced by one that resolves to it, headers set. */
function injectInto(tel: Telemetry, span: Span, records: Outgoing[], from: number, to = records.length): void {
  for (let i = from; i < to; i++) {
    const r = records[i]!;
    if (typeof (r as Promise<OutRecord>).then === 'function') records[i] = (r as Promise<OutRecord>).then((o) => tel.inject(span, [o])[0]!);
    else tel.inject(span, [r as OutRecord]);
  }
}

/** A subscriber that throws would surface as an uncaught exception (diagnostics_channel rethrows it on the next tick): it is reported and dropped instead. */
function guarded<M>(what: string, fn: (m: M) => void): (m: unknown) => void {
  return (m) => {
    try {
      fn(m as M);
    } catch (err) {
      diag.error(`tracing ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  };
}

/**
 * `error.type` of a failed RM call (HTTP semantic conventions): the status code when the server
 * answered 4xx/5xx, else what failed: `timeout`, the socket error's code (ECONNREFUSED…), the
 * scorer's reason code (RM_BAD_RESPONSE for a reply that is not JSON), else `_OTHER`.
 */
function errorType(m: RmCallMessage): string | undefined {
  if (m.status !== undefined && m.status >= 400) return String(m.status);
  if (m.error === undefined) return undefined;
  const e = m.error as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (typeof e.message === 'string' && /timed out/.test(e.message)) return 'timeout';
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return '_OTHER';
}

/** All five events of a tracing channel (older Node 20 releases want every one). */
type Handlers<M extends object> = TracingChannelSubscribers<M>;
const none = (): void => {};
const idle = { start: none, end: none, asyncStart: none, asyncEnd: none, error: none };

/** Subscribes `tel` to the apps' channels; returns the unsubscribe. */
export function subscribeTelemetry(tel: Telemetry): () => void {
  /** The spans each open message has (its operation's, until it ends). */
  const open = new WeakMap<object, Span[]>();
  const endAll = (m: { error?: unknown }): void => {
    for (const span of open.get(m) ?? []) Telemetry.end(span, m.error);
    open.delete(m);
  };
  /** The context a send continues: the record's process span when it had one here, else the context its headers carry. */
  const parentOf = (record: BusRecord | undefined) =>
    record === undefined ? undefined : (tel.spanOf(record) ?? tel.extract(record.headers));

  /** Process messages whose operation is over: a create span opened later (its record was still being encoded) ends at once. */
  const settled = new WeakSet<object>();
  /**
   * A `create <topic>` span per topic under the process span, its context into that topic's
   * records; ended with the process span. A record still being encoded gets its span (or joins
   * its topic's) when it resolves.
   */
  const createInto = (m: ProcessMessage, parent: Span, spans: Span[], records: Outgoing[], from: number): void => {
    const byTopic = new Map<string, Span>();
    const spanFor = (topic: string): Span => {
      let s = byTopic.get(topic);
      if (s === undefined) {
        byTopic.set(topic, (s = tel.create(topic, m.stage, parent)));
        if (settled.has(m)) queueMicrotask(() => s!.end());
        else spans.push(s);
      }
      return s;
    };
    for (let i = from; i < records.length; i++) {
      const r = records[i]!;
      if (typeof (r as Promise<OutRecord>).then === 'function')
        records[i] = (r as Promise<OutRecord>).then((o) => tel.inject(spanFor(o.topic), [o])[0]!);
      else tel.inject(spanFor((r as OutRecord).topic), [r as OutRecord]);
    }
  };

  const process: Handlers<ProcessMessage> = {
    ...idle,
    start: guarded<ProcessMessage>('process start', (m) => {
      const span = tel.process(m.record, m.stage, m.group);
      const a = fields(m);
      if (Object.keys(a).length > 0) span.setAttributes(a);
      open.set(m, [span]);
    }),
    end: guarded<ProcessMessage>('process outputs', (m) => {
      const spans = open.get(m);
      const span = spans?.[0];
      if (span === undefined || m.output === undefined) return;
      if (m.createSpans === true) createInto(m, span, spans!, m.output, m.outputFrom ?? 0);
      else injectInto(tel, span, m.output, m.outputFrom ?? 0);
    }),
    asyncEnd: guarded<ProcessMessage>('process end', (m) => {
      settled.add(m);
      endAll(m);
    }),
  };

  const send: Handlers<SendMessage> = {
    ...idle,
    start: guarded<SendMessage>('send start', (m) => {
      open.set(
        m,
        m.spans.map((s: SendSpan) => {
          const a = fields(s);
          if (s.count !== undefined) a[ATTR.batchCount] = s.count;
          if (s.feedbackKind !== undefined) a['rr.feedback.kind'] = s.feedbackKind;
          const span = tel.send(s.topic, m.stage, parentOf(s.parent), a);
          injectInto(tel, span, m.records, s.from, s.to);
          return span;
        }),
      );
    }),
    // tracePromise: a send that throws before returning a promise ends at `end`, with its error.
    end: guarded<SendMessage>('send end', (m) => {
      if (m.error !== undefined) endAll(m);
    }),
    asyncEnd: guarded<SendMessage>('send end', endAll),
  };

  const decisions = guarded<DecisionsMessage>('decisions', (m) => {
    const parent = tel.spanOf(m.record);
    for (const d of m.decisions) tel.routed(parent, d);
  });

  const deltas: Handlers<DeltasMessage> = {
    ...idle,
    // Each kept pair: a `send` span in its LOSS record's trace, covering the transaction that carries
    // its row. Each delta record: a span of its own, linked to its RM's pair spans (fan-in), whose
    // context goes into the record's headers for the store to continue.
    start: guarded<DeltasMessage>('deltas start', (m) => {
      const spans: Span[] = [];
      const byRm = new Map<string, Span[]>();
      for (const row of m.rows) {
        tel.reward(row.rm, row.reward);
        const span = tel.send(m.topic, m.stage, tel.extract(row.record.headers), {
          [ATTR.transactional]: true,
          [ATTR.batch]: m.batch,
          [ATTR.pairId]: row.pairId,
          [ATTR.rm]: row.rm,
          [ATTR.reward]: row.reward,
          [ATTR.loss]: row.loss,
          'rr.source.topic': row.record.topic,
          'rr.source.partition': row.record.partition,
          'rr.source.offset': Number(row.record.offset),
        });
        spans.push(span);
        let list = byRm.get(row.rm);
        if (list === undefined) byRm.set(row.rm, (list = []));
        list.push(span);
      }
      m.rms.forEach((rm, i) => {
        const pairs = byRm.get(rm) ?? [];
        const { links, dropped } = Telemetry.links(pairs);
        const span = tel.send(
          m.topic,
          m.stage,
          undefined,
          {
            [ATTR.transactional]: true,
            [ATTR.batch]: m.batch,
            [ATTR.rm]: rm,
            [ATTR.batchCount]: pairs.length,
            'rr.links.dropped': dropped,
          },
          links,
        );
        spans.push(span);
        injectInto(tel, span, m.records, i, i + 1);
      });
      open.set(m, spans);
    }),
    asyncEnd: guarded<DeltasMessage>('deltas end', endAll),
  };

  // One HTTP client span per request to an RM server; its context goes into the request's headers.
  // Parent: the process span of the first consumed record whose pairs the call scores (or the
  // context that record carries), the others linked; a call that names none starts a trace.
  const rmCall: Handlers<RmCallMessage> = {
    ...idle,
    start: guarded<RmCallMessage>('rm call start', (m) => {
      const [first, ...rest] = m.parents ?? [];
      const { links } = Telemetry.links(rest.map((r) => tel.spanOf(r)).filter((s): s is Span => s !== undefined));
      const a: Attributes = m.rm === undefined ? {} : { [ATTR.rm]: m.rm };
      open.set(m, [tel.httpClient(m.method, m.url, m.headers, parentOf(first), a, links.length > 0 ? links : undefined)]);
    }),
    end: guarded<RmCallMessage>('rm call end', (m) => {
      if (m.error !== undefined) rmCallEnd(m);
    }),
    asyncEnd: guarded<RmCallMessage>('rm call end', (m) => rmCallEnd(m)),
  };
  const rmCallEnd = (m: RmCallMessage): void => {
    const span = open.get(m)?.[0];
    if (span === undefined) return;
    if (m.status !== undefined) span.setAttribute(ATTR.httpStatus, m.status);
    const type = errorType(m);
    if (type !== undefined) span.setAttribute(ATTR.errorType, type);
    open.delete(m);
    Telemetry.end(span, m.error);
  };

  processChannel.subscribe(process);
  sendChannel.subscribe(send);
  rmCallChannel.subscribe(rmCall);
  decisionsChannel.subscribe(decisions);
  deltasChannel.subscribe(deltas);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    processChannel.unsubscribe(process);
    sendChannel.unsubscribe(send);
    rmCallChannel.unsubscribe(rmCall);
    decisionsChannel.unsubscribe(decisions);
    deltasChannel.unsubscribe(deltas);
  };
}
