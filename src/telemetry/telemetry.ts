/**
 * The apps' tracing and metrics, on the OpenTelemetry API. One trace per Generation record (a
 * prompt and its pairs): the trainer's `send` span is its root, every stage continues it from the
 * `traceparent` header of the record it consumes (a `process` span per record, even when records
 * arrive in batches: the span's parent is the record's context, not a batch span) and writes its
 * own context into the headers of every record it produces, transactional sends included.
 *
 * A delta is made of many pairs, from many traces. Each pair gets its own `send posterior-deltas`
 * span in its trace, covering the transaction that carried its row; the delta record itself
 * carries a span of its own that links to those (fan-in, as the messaging conventions do for
 * batches), and the store continues that one.
 *
 * The apps never see it: they publish on the channels of channels.ts, and subscribe.ts calls
 * this when tracing is on (`startTelemetry`); off, nothing listens and nothing is built.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Link,
  Meter,
  Span,
  SpanContext,
  TextMapPropagator,
  TextMapSetter,
  Tracer,
} from '@opentelemetry/api';
import type { BusRecord, OutRecord } from '../bus/types.ts';
import { pairDecisions } from '../records/decisions.ts';
import type { Decision } from '../records/types.ts';
import { ATTR } from './attributes.ts';
import { headerGetter, headerSetter, type BufferHeaders } from './headers.ts';

/** Writes trace context into plain string headers (an outgoing HTTP request's). */
const stringSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** Most links one fan-in span keeps (a delta of more pairs says how many it dropped). */
export const MAX_LINKS = 1000;

export interface TelemetryParts {
  tracer: Tracer;
  meter: Meter;
  /** W3C trace context (the one `traceparent` format every Kafka tracer reads). */
  propagator: TextMapPropagator;
  /** The Kafka bootstrap brokers (`host:port`): `server.address`/`server.port` when there is one. */
  brokers?: readonly string[];
}

/**
 * `server.address` and `server.port` of the broker, when known: the bootstrap address when the
 * client is given one (a single broker, or a Kubernetes service in front of them). With several,
 * which broker a record went to (its partition's leader) is kafkajs's business, not known here:
 * none is set rather than a guess.
 */
export function brokerServer(brokers: readonly string[] | undefined): Attributes {
  if (brokers === undefined || brokers.length !== 1) return {};
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(brokers[0]!.trim());
  if (m === null) return {};
  const address = m[1] ?? m[2]!;
  return m[3] === undefined ? { [ATTR.serverAddress]: address } : { [ATTR.serverAddress]: address, [ATTR.serverPort]: Number(m[3]) };
}

export class Telemetry {
  readonly #tracer: Tracer;
  readonly #propagator: TextMapPropagator;
  /** Each consumed record's process span, for the spans an app opens under it later. */
  readonly #spans = new WeakMap<BusRecord, Span>();
  readonly #decisions: Counter;
  readonly #rewards: Histogram;
  readonly meter: Meter;
  /** `server.address`/`server.port` of the broker when known (brokerServer), on every messaging span and metric. */
  readonly server: Attributes;
  /** Spans started (the tracing bench compares it with what the receiver got). */
  started = 0;

  constructor(parts: TelemetryParts) {
    this.#tracer = parts.tracer;
    this.#propagator = parts.propagator;
    this.meter = parts.meter;
    this.server = brokerServer(parts.brokers);
    this.#decisions = parts.meter.createCounter('rr.decisions', { description: 'Pairs routed, by chosen RM.', unit: '{pair}' });
    this.#rewards = parts.meter.createHistogram('rr.reward', {
      description: 'Normalized rewards folded into the posteriors, by RM.',
      unit: '1',
      advice: { explicitBucketBoundaries: [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1] },
    });
  }

  /** The context a record's headers carry (ROOT_CONTEXT when none). */
  extract(headers: BufferHeaders): Context {
    return this.#propagator.extract(ROOT_CONTEXT, headers, headerGetter);
  }

  /** Starts the `process <topic>` span of a consumed record, as a child of the record's own trace. */
  process(record: BusRecord, stage: string, group: string): Span {
    const attributes: Attributes = {
      [ATTR.system]: 'kafka',
      [ATTR.operationType]: 'process',
      [ATTR.operationName]: 'process',
      [ATTR.destination]: record.topic,
      [ATTR.partition]: String(record.partition),
      [ATTR.offset]: Number(record.offset),
      [ATTR.group]: group,
      [ATTR.stage]: stage,
      ...this.server,
    };
    if (record.key !== null) attributes[ATTR.key] = record.key.toString('utf8');
    this.started++;
    const span = this.#tracer.startSpan(`process ${record.topic}`, { kind: SpanKind.CONSUMER, attributes }, this.extract(record.headers));
    this.#spans.set(record, span);
    return span;
  }

  /** The process span `process()` opened for this record, if any. */
  spanOf(record: BusRecord): Span | undefined {
    return this.#spans.get(record);
  }

  /**
   * Starts a `create <topic>` producer span under a consumed record's process span: the creation
   * context of the records that record made on `topic` (messaging semantic conventions: operation
   * type `create`), which their consumers continue. Not `send`: the stage runtime sends the outputs
   * of many records together, after this span ends, so it does not cover the send itself.
   */
  create(topic: string, stage: string, parent: Span): Span {
    this.started++;
    return this.#tracer.startSpan(
      `create ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.system]: 'kafka',
          [ATTR.operationType]: 'create',
          [ATTR.operationName]: 'create',
          [ATTR.destination]: topic,
          [ATTR.stage]: stage,
          ...this.server,
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
  }

  /** Starts a `send <topic>` producer span under `parent` (a new trace when absent). */
  send(topic: string, stage: string, parent: Context | Span | undefined, attributes: Attributes = {}, links?: Link[]): Span {
    const ctx = parent === undefined ? ROOT_CONTEXT : 'spanContext' in parent ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
    this.started++;
    return this.#tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        links,
        attributes: {
          [ATTR.system]: 'kafka',
          [ATTR.operationType]: 'send',
          [ATTR.operationName]: 'send',
          [ATTR.destination]: topic,
          [ATTR.stage]: stage,
          ...this.server,
          ...attributes,
        },
      },
      ctx,
    );
  }

  /**
   * Starts the HTTP client span of one request to an RM server (OpenTelemetry HTTP semantic
   * conventions: named by the method, kind client, `http.request.method`, `server.address`,
   * `server.port`, `url.full`), under `parent` (a new trace when absent), and writes its context
   * into `headers` (`traceparent`, `tracestate`) for the server to continue.
   */
  httpClient(
    method: string,
    url: string,
    headers: Record<string, string>,
    parent?: Context | Span,
    attributes: Attributes = {},
    links?: Link[],
  ): Span {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    const ctx = parent === undefined ? ROOT_CONTEXT : 'spanContext' in parent ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
    this.started++;
    const span = this.#tracer.startSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        links,
        attributes: {
          [ATTR.httpMethod]: method,
          [ATTR.serverAddress]: u.hostname,
          [ATTR.serverPort]: port,
          [ATTR.urlFull]: u.href,
          ...attributes,
        },
      },
      ctx,
    );
    this.#propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, stringSetter);
    return span;
  }

  /** Writes the span's context into each record's headers (a copy; other headers kept). */
  inject(span: Span, records: OutRecord[]): OutRecord[] {
    const carrier: BufferHeaders = {};
    this.#propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, headerSetter);
    for (const r of records) r.headers = { ...r.headers, ...carrier };
    return records;
  }

  /**
   * One `route pair` span per pair of a prompt's Decision, under the record's process span: the
   * pair's decision as attributes (chosen RM, each arm's mean, std and sample, posterior version,
   * seed); what the prompt's pairs share (run, batch, prompt, method, arm names) goes once on the
   * process span. Nothing is built for a trace that is not sampled.
   */
  routed(parent: Span | undefined, decision: Decision): void {
    const pairs = pairDecisions(decision);
    for (const d of pairs) this.#decisions.add(1, { [ATTR.rm]: d.chosenRm });
    if (parent !== undefined && !parent.isRecording()) return;
    parent?.setAttributes({
      [ATTR.run]: decision.run,
      [ATTR.batch]: decision.batch,
      [ATTR.promptId]: decision.promptId,
      [ATTR.method]: decision.method,
      [ATTR.arms]: decision.arms,
    });
    const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, parent);
    for (const d of pairs) {
      this.started++;
      this.#tracer
        .startSpan(
          'route pair',
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              [ATTR.stage]: 'router',
              [ATTR.pairId]: d.pairId,
              [ATTR.seed]: d.seed,
              [ATTR.posteriorVersion]: d.posteriorVersion,
              [ATTR.chosenRm]: d.chosenRm,
              [ATTR.chosenArm]: d.chosen,
              [ATTR.means]: d.means,
              [ATTR.stds]: d.stds,
              [ATTR.samples]: d.samples,
            },
          },
          ctx,
        )
        .end();
    }
  }

  /** Records a normalized reward in the reward histogram. */
  reward(rm: string, r: number): void {
    this.#rewards.record(r, { [ATTR.rm]: rm });
  }

  /** Ends a span, marking it failed when `err` is given. */
  static end(span: Span, err?: unknown): void {
    if (err !== undefined) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    }
    span.end();
  }

  /** Links to the given spans, at most MAX_LINKS of them. */
  static links(spans: readonly (Span | SpanContext)[]): { links: Link[]; dropped: number } {
    const kept = spans.slice(0, MAX_LINKS);
    return { links: kept.map((s) => ({ context: 'spanContext' in s ? s.spanContext() : s })), dropped: spans.length - kept.length };
  }
}
