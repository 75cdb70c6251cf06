/**
 * What the apps tell tracing, as `node:diagnostics_channel` channels: the apps publish plain data
 * here and never see OpenTelemetry; src/telemetry/subscribe.ts subscribes when tracing is on
 * (startTelemetry) and unsubscribes at shutdown. Nothing subscribed, every publish point below is
 * one `hasSubscribers` check and builds no message.
 *
 * Messages are passed by reference, and that is how trace context reaches Kafka: a message names
 * the records about to be sent, and the subscriber writes `traceparent` into their headers while
 * the publisher waits (a record still being encoded, a promise, is replaced in the message's own
 * array by one that resolves to it, headers set). So every publish that carries records happens
 * before they are sent. docs/tracing.md ("How it is wired") lists the channels.
 *
 * This module imports no OpenTelemetry package (the apps import it, and only it, for tracing).
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { BusProducer, BusRecord, OutRecord } from '../bus/types.ts';
import type { RecordTracer } from '../operators/traceRecords.ts';
import type { Decision } from '../records/types.ts';

/** The channel names (a tracing channel's events are `tracing:<name>:start`, `:end`, `:asyncStart`, `:asyncEnd`, `:error`). */
export const CHANNELS = {
  /** Tracing channel: one consumed record's processing (ProcessMessage). */
  process: 'rr:record:process',
  /** Tracing channel: one producer send, around the send (SendMessage). */
  send: 'rr:record:send',
  /** Channel: the routing decisions made for one consumed Generation record (DecisionsMessage). */
  decisions: 'rr:router:decisions',
  /** Tracing channel: one window close of the aggregator, until its transaction ends (DeltasMessage). */
  deltas: 'rr:aggregator:deltas',
  /** Tracing channel: one HTTP request to an RM server, until its reply is read (RmCallMessage). */
  rmCall: 'rr:rm:call',
} as const;

/** A produced record, or one still being encoded. */
export type Outgoing = OutRecord | Promise<OutRecord>;

/** Plain fields a span may carry besides the messaging ones (absent: not said). */
export interface TraceFields {
  run?: string;
  batch?: number;
  promptId?: string;
}

/**
 * `rr:record:process`. start: the record is taken (`record`, whose headers carry the trace it
 * continues). end: its outputs are known and not sent yet (`output[outputFrom…]`: the subscriber
 * sets their headers). error: it failed (`error`). asyncEnd: its processing is over (after the
 * send, or the transaction, that carried its outputs; at once when it has none).
 */
export interface ProcessMessage extends TraceFields {
  /** `rr.stage`: router, scorer.<rm>, labeler, trainer, store. */
  stage: string;
  /** The consumer group. */
  group: string;
  record: BusRecord;
  output?: Outgoing[];
  /** The first entry of `output` that this record made (default 0). */
  outputFrom?: number;
  /**
   * Its outputs get a producer span of their own (`create <topic>`, one per topic, under the
   * process span) whose context they carry: the stage runtime (router, scorers, labeler). Absent:
   * they carry the process span's (the store, whose span covers its transaction).
   */
  createSpans?: boolean;
  error?: unknown;
}

/** One `send <topic>` span of a send: the records `records[from, to)` it covers. */
export interface SendSpan extends TraceFields {
  topic: string;
  from: number;
  to: number;
  /** The consumed record whose trace the send continues; absent: the send starts a trace. */
  parent?: BusRecord;
  /** `messaging.batch.message_count`. */
  count?: number;
  /** `rr.feedback.kind`. */
  feedbackKind?: string;
}

/**
 * `rr:record:send`, published by `sendTraced` with tracePromise: start before the records go
 * (the subscriber sets their headers), asyncEnd when the send has ended (`error` if it failed).
 */
export interface SendMessage {
  stage: string;
  records: OutRecord[];
  spans: SendSpan[];
  error?: unknown;
}

/** `rr:router:decisions`: the Decisions routed from one consumed record, while its processing is open. */
export interface DecisionsMessage {
  stage: string;
  record: BusRecord;
  decisions: readonly Decision[];
}

/**
 * `rr:aggregator:deltas`. start: a window closed (before its transaction): the LOSS rows folded
 * in, and the delta records, `records[i]` being the delta of `rms[i]` (the rest are dead letters);
 * the subscriber sets the deltas' headers. error, asyncEnd: the transaction failed, or ended.
 */
export interface DeltasMessage {
  stage: string;
  /** The deltas topic. */
  topic: string;
  batch: number;
  rows: readonly { record: BusRecord; pairId: string; rm: string; loss: number; reward: number }[];
  rms: readonly string[];
  records: Outgoing[];
  error?: unknown;
}

/**
 * `rr:rm:call`, published by the scorers' HTTP client (src/scorers/post.ts) with tracePromise around
 * one request: start before the request is written (the subscriber adds its trace context to
 * `headers`, which the request then carries), asyncEnd when the reply has been read (`status` set
 * when the server answered) or the request failed (`error`).
 */
export interface RmCallMessage {
  /** `POST`, `GET`. */
  method: string;
  /** The request's URL. */
  url: string;
  /** The request's headers, sent as they are once start has been published. */
  headers: Record<string, string>;
  /** The RM the call is for (`rr.rm`). */
  rm?: string;
  /** The consumed records whose pairs the call scores, when the caller knows them: the first one's span is the parent. */
  parents?: readonly BusRecord[];
  /** The HTTP status of the reply. */
  status?: number;
  error?: unknown;
}

export const processChannel = tracingChannel<ProcessMessage>(CHANNELS.process);
export const sendChannel = tracingChannel<SendMessage>(CHANNELS.send);
export const decisionsChannel = channel(CHANNELS.decisions);
export const deltasChannel = tracingChannel<DeltasMessage>(CHANNELS.deltas);
export const rmCallChannel = tracingChannel<RmCallMessage>(CHANNELS.rmCall);

/**
 * Runs one RM request, published on `rr:rm:call` when something traces: `send` gets the message's
 * headers (with the trace context added), and may set `status` on the message once the server
 * has answered. Nothing traces: `send(headers)` and nothing else.
 */
export function traceRmCall<T>(
  m: Omit<RmCallMessage, 'status' | 'error'>,
  send: (headers: Record<string, string>, m: RmCallMessage) => Promise<T>,
): Promise<T> {
  if (!rmCallChannel.start.hasSubscribers) return send(m.headers, m);
  const msg: RmCallMessage = { ...m };
  return rmCallChannel.tracePromise(() => send(msg.headers, msg), msg);
}

/** Whether anything traces consumed records (a stage wraps its pipeline only then). */
export const tracingRecords = (): boolean => processChannel.start.hasSubscribers;

/** Closes an operation published by hand on a tracing channel: error (when failed), asyncStart, asyncEnd. */
function settle<M extends { error?: unknown }>(
  ch: { error: { publish(m: unknown): void }; asyncStart: { publish(m: unknown): void }; asyncEnd: { publish(m: unknown): void } },
  m: M,
  err?: unknown,
): void {
  if (err !== undefined) {
    m.error = err;
    ch.error.publish(m);
  }
  ch.asyncStart.publish(m);
  ch.asyncEnd.publish(m);
}

/** The handle of a consumed record's published processing. */
export interface RecordTrace {
  /** Its outputs, `output[from…]`, are known and about to be sent. */
  outputs(output: Outgoing[], from?: number): void;
  /** Its processing is over (`err`: it failed). */
  end(err?: unknown): void;
}

/** Publishes that `record` is taken; undefined (and nothing built) when nothing traces. */
export function traceRecord(
  stage: string,
  group: string,
  record: BusRecord,
  fields?: TraceFields,
  createSpans?: boolean,
): RecordTrace | undefined {
  if (!processChannel.start.hasSubscribers) return undefined;
  const m: ProcessMessage = { stage, group, record, ...fields, ...(createSpans === true ? { createSpans } : {}) };
  processChannel.start.publish(m);
  return {
    outputs(output, from = 0) {
      m.output = output;
      m.outputFrom = from;
      processChannel.end.publish(m);
    },
    end: (err) => settle(processChannel, m, err),
  };
}

/** The RecordTracer of a consume → produce stage (router, scorers, labeler), publishing on `rr:record:process`. */
export function recordTracer(stage: string, group: string): RecordTracer {
  return {
    start(record) {
      const t = traceRecord(stage, group, record, undefined, true);
      return {
        finish(output) {
          t?.outputs(output.out);
          t?.end();
          return output;
        },
        fail: (err) => t?.end(err),
      };
    },
  };
}

/** `producer.send(records)`, published on `rr:record:send` first when something traces (`spans` is called only then). */
export function sendTraced(
  producer: Pick<BusProducer, 'send'>,
  stage: string,
  records: OutRecord[],
  spans: () => SendSpan[],
): Promise<void> {
  if (!sendChannel.start.hasSubscribers) return producer.send(records);
  return sendChannel.tracePromise(async () => producer.send(records), { stage, records, spans: spans() });
}

/** Publishes the Decisions routed from `record` (none: nothing). */
export function traceDecisions(stage: string, record: BusRecord, decisions: readonly Decision[] | undefined): void {
  if (decisionsChannel.hasSubscribers && decisions !== undefined)
    decisionsChannel.publish({ stage, record, decisions } satisfies DecisionsMessage);
}

/**
 * Publishes a window close; returns the records to send (`records`, or the array the subscriber
 * set headers in) and what to call when the transaction ends. Nothing traces: `records` and undefined.
 */
export function traceDeltas(
  m: Omit<DeltasMessage, 'records' | 'error'>,
  records: readonly Outgoing[],
): { records: Outgoing[]; end?: (err?: unknown) => void } {
  if (!deltasChannel.start.hasSubscribers) return { records: records as Outgoing[] };
  const msg: DeltasMessage = { ...m, records: [...records] };
  deltasChannel.start.publish(msg);
  return { records: msg.records, end: (err) => settle(deltasChannel, msg, err) };
}
