/**
 * Turning tracing on for a process: the OpenTelemetry Node SDK with an OTLP exporter for traces
 * and one for metrics, each configured per signal as the OpenTelemetry SDK environment variables
 * and the OTLP exporter specification define them (docs/tracing.md, "Turning it on"):
 *
 * - `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER`: `otlp` (the default) or `none` (no exporter
 *   for that signal: nothing is sent, nothing fails);
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` are used as is;
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL that gets `/v1/traces` and `/v1/metrics` over
 *   OTLP/HTTP (used as is over gRPC). A signal with neither is not exported (the endpoint is what
 *   turns telemetry on here, so no signal goes to a default `localhost` nobody asked for);
 * - `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else
 *   `http/protobuf`: `http/protobuf`, `http/json` or `grpc` (the gRPC exporters are the SDK's own
 *   dependencies; loaded only when asked for, a typed error naming the package when missing).
 *
 * Off when no signal is exported: no SDK, no Telemetry, nothing subscribed to the apps' channels.
 * No automatic instrumentation is loaded: the kafkajs instrumentation neither traces transactions
 * nor continues a record's trace in eachBatch, so the apps publish what they do (channels.ts) and
 * subscribe.ts traces it (telemetry.ts). The other OTEL_* variables (service name, resource
 * attributes, headers, compression, sampler) keep their meaning.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { DiagLogLevel, ROOT_CONTEXT, context, diag, metrics, propagation, trace, type ContextManager } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK, core, resources, metrics as sdkMetrics, tracing } from '@opentelemetry/sdk-node';
import { RouterError } from '../core/errors.ts';
import { subscribeTelemetry } from './subscribe.ts';
import { MAX_LINKS, Telemetry } from './telemetry.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type Signal = 'traces' | 'metrics';

export interface TelemetryOptions {
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise, e.g. `reward-router-router`. */
  serviceName: string;
  /** The Kafka bootstrap brokers (`host:port`), for `server.address`/`server.port` (one broker: known; several: not set). */
  brokers?: readonly string[];
  /** More resource attributes (`rr.rm`; `service.instance.id` is a new UUID unless given); OTEL_RESOURCE_ATTRIBUTES still wins. */
  resource?: Record<string, string>;
  /**
   * Base URL of an OTLP receiver for both signals (`/v1/traces` and `/v1/metrics` are added over
   * HTTP), in place of the environment's endpoints. Default: the environment's.
   */
  endpoint?: string;
  /** Both signals' protocol, in place of the environment's. */
  protocol?: OtlpProtocol;
  env?: NodeJS.ProcessEnv;
  /** How often metrics are exported (default 10 s; the last ones go out on shutdown). */
  metricIntervalMs?: number;
  /** Where the SDK's own warnings go (dropped spans, failed exports); default stderr. */
  warn?: (message: string) => void;
  /** Default: from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (parent-based, always on, when unset). */
  sampler?: tracing.Sampler;
}

/** Where and how one signal is exported; null: it is not. */
export interface SignalExport {
  url: string;
  protocol: OtlpProtocol;
}

export interface RunningTelemetry {
  readonly telemetry: Telemetry;
  /** The traces' protocol (null: traces not exported). */
  readonly protocol: OtlpProtocol | null;
  readonly signals: Record<Signal, SignalExport | null>;
  /** Spans the exporter delivered, and spans it failed to deliver, so far. */
  readonly exported: { spans: number; failed: number };
  /**
   * Listens to the apps' channels (channels.ts); startTelemetry has done so already. Apps started
   * while nothing listens trace nothing: a stage decides when it starts.
   */
  subscribe(): void;
  /** Stops listening: what the apps publish next is dropped, their records carry no trace context. */
  unsubscribe(): void;
  /** Unsubscribes, exports what is buffered and stops the SDK (once: a second call waits for the first). */
  shutdown(): Promise<void>;
}

const SIG = { traces: 'TRACES', metrics: 'METRICS' } as const;
const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json', 'grpc'];

function invalid(field: string, message: string): RouterError {
  return new RouterError('RR_INVALID_CONFIG', message, { field });
}

/**
 * The resource of one app process, as the resource semantic conventions define it: `service.name`
 * is the logical service, the same for every instance of it, so `reward-router-<app>` (every
 * scorer is `reward-router-scorer`, whichever RM it scores and however it was named on the
 * command line: `scorer --rm x` or `scorer:x`); `service.instance.id` tells the instances apart
 * (a UUID v4 per process, as recommended; startTelemetry sets it for every process); the RM a scorer scores is the resource attribute
 * `rr.rm`. OTEL_SERVICE_NAME still wins for the name and OTEL_RESOURCE_ATTRIBUTES for the rest.
 */
export function appResource(app: string, rm?: string): Pick<TelemetryOptions, 'serviceName' | 'resource'> {
  const [base, named] = app.startsWith('scorer:') ? ['scorer', app.slice('scorer:'.length)] : [app, undefined];
  const scorerRm = base === 'scorer' ? (rm ?? named) : undefined;
  return {
    serviceName: `reward-router-${base.replace(/[^A-Za-z0-9._-]/g, '_')}`,
    ...(scorerRm !== undefined && scorerRm !== '' ? { resource: { 'rr.rm': scorerRm } } : {}),
  };
}

/** OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: whether the signal has an OTLP exporter (`otlp`, the default) or none. */
export function exporterWanted(signal: Signal, env: NodeJS.ProcessEnv): boolean {
  const field = `OTEL_${SIG[signal]}_EXPORTER`;
  const list = (env[field] ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
  const other = list.find((v) => v !== 'otlp' && v !== 'none');
  if (other === undefined) return list.length === 0 || list.includes('otlp');
  throw invalid(field, `${field}=${JSON.stringify(env[field])}: ${JSON.stringify(other)} is not supported, use otlp or none`);
}

/** The signal's OTLP protocol: per-signal variable, then the generic one, then http/protobuf. */
export function otlpProtocol(o: Pick<TelemetryOptions, 'protocol' | 'env'>, signal: Signal = 'traces'): OtlpProtocol {
  const env = o.env ?? process.env;
  const field =
    env[`OTEL_EXPORTER_OTLP_${SIG[signal]}_PROTOCOL`] !== undefined
      ? `OTEL_EXPORTER_OTLP_${SIG[signal]}_PROTOCOL`
      : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const asked = o.protocol ?? env[field] ?? 'http/protobuf';
  if (PROTOCOLS.includes(asked)) return asked as OtlpProtocol;
  throw invalid(field, `OTLP protocol ${JSON.stringify(asked)} is not supported: use http/protobuf, http/json or grpc (${field})`);
}

/**
 * Where a signal goes and how, or null when it is not exported: OTEL_<SIGNAL>_EXPORTER=none, or no
 * endpoint for it. A signal-specific endpoint is used as is; the generic one (or `endpoint`) is a
 * base URL that gets `/v1/<signal>` over HTTP and is used as is over gRPC.
 */
export function signalExport(signal: Signal, o: Pick<TelemetryOptions, 'endpoint' | 'protocol' | 'env'>): SignalExport | null {
  const env = o.env ?? process.env;
  const specific = (o.endpoint === undefined ? (env[`OTEL_EXPORTER_OTLP_${SIG[signal]}_ENDPOINT`] ?? '') : '').trim();
  const base = (o.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim();
  // No endpoint: the signal is off, whatever else the environment says (nothing to refuse).
  if (specific === '' && base === '') return null;
  if (!exporterWanted(signal, env)) return null;
  const protocol = otlpProtocol(o, signal);
  if (specific !== '') return { url: specific, protocol };
  return { url: protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/v1/${signal}`, protocol };
}

/** Whether tracing is asked for: a signal exported (an endpoint for it, its exporter not `none`), and the SDK not disabled. */
export function tracingWanted(o: Pick<TelemetryOptions, 'endpoint' | 'protocol' | 'env'>): boolean {
  const env = o.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return signalExport('traces', o) !== null || signalExport('metrics', o) !== null;
}

type GrpcExporter<T> = new (config: { url: string; concurrencyLimit?: number }) => T;

/**
 * The gRPC exporters are dependencies of @opentelemetry/sdk-node (same version), resolved from it
 * and loaded only when gRPC is asked for: @grpc/grpc-js stays out of every other process.
 */
export function grpcExporter<T>(pkg: string, field: string): GrpcExporter<T> {
  const require = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/sdk-node'));
  try {
    const mod = require(pkg) as Record<string, unknown>;
    const cls = mod.OTLPTraceExporter ?? mod.OTLPMetricExporter;
    if (typeof cls !== 'function') throw new Error(`${pkg} exports no OTLP exporter`);
    return cls as GrpcExporter<T>;
  } catch (err) {
    throw new RouterError(
      'RR_INVALID_CONFIG',
      `OTLP over grpc needs ${pkg}, which is not installed (${String(err)}); use http/protobuf or http/json`,
      {
        field,
      },
    );
  }
}

function traceExporterFor(s: SignalExport): tracing.SpanExporter {
  // At most 16 batches are in flight when the queue is flushed (65,536 / 4,096): under this limit.
  const config = { url: s.url, concurrencyLimit: 64 };
  if (s.protocol === 'http/json') return new JsonTraceExporter(config);
  if (s.protocol === 'http/protobuf') return new ProtoTraceExporter(config);
  const Grpc = grpcExporter<tracing.SpanExporter>('@opentelemetry/exporter-trace-otlp-grpc', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  return new Grpc(config);
}

function metricExporterFor(s: SignalExport): sdkMetrics.PushMetricExporter {
  const config = { url: s.url };
  if (s.protocol === 'http/json') return new JsonMetricExporter(config);
  if (s.protocol === 'http/protobuf') return new ProtoMetricExporter(config);
  const Grpc = grpcExporter<sdkMetrics.PushMetricExporter>(
    '@opentelemetry/exporter-metrics-otlp-grpc',
    'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  );
  return new Grpc(config);
}

/**
 * The apps pass every span's parent explicitly (a record's context travels in its headers, not in
 * the call stack), so no "active context" is needed. The SDK's default context manager is built on
 * AsyncLocalStorage, whose promise hooks tax every await of a promise-heavy loop, traced or not;
 * this one keeps nothing and costs nothing.
 */
const explicitOnly: ContextManager = {
  active: () => ROOT_CONTEXT,
  with: (_ctx, fn, thisArg, ...args) => fn.call(thisArg, ...args),
  bind: (_ctx, target) => target,
  enable() {
    return this;
  },
  disable() {
    return this;
  },
};

/** Counts what the exporter delivered (the tracing bench and the exit log report it). */
function counting(exporter: tracing.SpanExporter, exported: RunningTelemetry['exported']): tracing.SpanExporter {
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code === core.ExportResultCode.SUCCESS) exported.spans += spans.length;
        else exported.failed += spans.length;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** Starts the SDK when tracing is wanted; null (and nothing started) when it is not. */
export function startTelemetry(o: TelemetryOptions): RunningTelemetry | null {
  if (!tracingWanted(o)) return null;
  const env = o.env ?? process.env;
  const signals = { traces: signalExport('traces', o), metrics: signalExport('metrics', o) };
  const exported = { spans: 0, failed: 0 };
  const spanProcessors =
    signals.traces === null
      ? []
      : [
          // Batching exporter: a span costs a push onto a queue on the hot path, the export happens off it.
          // A full queue drops spans (the SDK warns with the count) rather than slowing the loop.
          new tracing.BatchSpanProcessor(counting(traceExporterFor(signals.traces), exported), {
            maxQueueSize: 65_536,
            maxExportBatchSize: 4096,
            scheduledDelayMillis: 500,
          }),
        ];
  const metricReaders =
    signals.metrics === null
      ? []
      : [
          new sdkMetrics.PeriodicExportingMetricReader({
            exporter: metricExporterFor(signals.metrics),
            exportIntervalMillis: o.metricIntervalMs ?? 10_000,
          }),
        ];
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? o.serviceName,
    // Detected attributes (OTEL_RESOURCE_ATTRIBUTES among them) are merged over these.
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.instance.id': randomUUID(), ...o.resource })),
    // Empty lists, not absent: absent, the SDK would build exporters from the environment itself.
    spanProcessors,
    metricReaders,
    spanLimits: { linkCountLimit: MAX_LINKS },
    ...(o.sampler !== undefined ? { sampler: o.sampler } : {}),
    textMapPropagator: new core.W3CTraceContextPropagator(),
    contextManager: explicitOnly,
    instrumentations: [],
    autoDetectResources: true,
  });
  const warn = o.warn ?? ((m: string) => process.stderr.write(`opentelemetry: ${m}\n`));
  diag.disable(); // a logger set before (an earlier start in this process) is replaced without a warning
  diag.setLogger({ error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  sdk.start();
  const telemetry = new Telemetry({
    tracer: trace.getTracer('reward-router'),
    meter: metrics.getMeter('reward-router'),
    propagator: new core.W3CTraceContextPropagator(),
    ...(o.brokers !== undefined ? { brokers: o.brokers } : {}),
  });
  let unsubscribe: (() => void) | null = null;
  let stopped: Promise<void> | null = null;
  const running: RunningTelemetry = {
    telemetry,
    protocol: signals.traces?.protocol ?? null,
    signals,
    exported,
    subscribe() {
      if (stopped === null) unsubscribe ??= subscribeTelemetry(telemetry);
    },
    unsubscribe() {
      unsubscribe?.();
      unsubscribe = null;
    },
    shutdown() {
      running.unsubscribe();
      // The SDK leaves its providers registered: released, a later startTelemetry in the same
      // process (tests, the bench) registers its own instead of failing as a duplicate.
      return (stopped ??= sdk.shutdown().finally(() => {
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
      }));
    },
  };
  running.subscribe();
  return running;
}
