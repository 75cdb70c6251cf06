/**
 * Turning tracing on for a process: the OpenTelemetry Node SDK with an OTLP/HTTP exporter for
 * traces and one for metrics, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-specific
 * variable) is set, or an endpoint is passed. Off otherwise: no SDK, no Telemetry, nothing
 * subscribed to the apps' channels. No automatic instrumentation is loaded: the kafkajs
 * instrumentation neither traces transactions nor continues a record's trace in eachBatch, so the
 * apps publish what they do (channels.ts) and subscribe.ts traces it (telemetry.ts). The usual OTEL_* variables (service name, resource attributes, headers,
 * compression, sampler) keep their meaning; the encoding follows OTEL_EXPORTER_OTLP_PROTOCOL
 * (`http/protobuf`, the OpenTelemetry default, or `http/json`).
 */
import { DiagLogLevel, ROOT_CONTEXT, diag, metrics, trace, type ContextManager } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK, core, metrics as sdkMetrics, tracing } from '@opentelemetry/sdk-node';
import { RouterError } from '../core/errors.ts';
import { subscribeTelemetry } from './subscribe.ts';
import { MAX_LINKS, Telemetry } from './telemetry.ts';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetryOptions {
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise, e.g. `reward-router-router`. */
  serviceName: string;
  /** Base URL of an OTLP/HTTP receiver (`/v1/traces` and `/v1/metrics` are added). Default: the environment's. */
  endpoint?: string;
  /** Default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  protocol?: OtlpProtocol;
  env?: NodeJS.ProcessEnv;
  /** How often metrics are exported (default 10 s; the last ones go out on shutdown). */
  metricIntervalMs?: number;
  /** Where the SDK's own warnings go (dropped spans, failed exports); default stderr. */
  warn?: (message: string) => void;
  /** Default: from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (parent-based, always on, when unset). */
  sampler?: tracing.Sampler;
}

export interface RunningTelemetry {
  readonly telemetry: Telemetry;
  readonly protocol: OtlpProtocol;
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

/** Whether tracing is asked for: an endpoint passed or named by the environment, and the SDK not disabled. */
export function tracingWanted(o: Pick<TelemetryOptions, 'endpoint' | 'env'>): boolean {
  const env = o.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return Boolean(o.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The OTLP encoding asked for; gRPC is refused with a typed error (only the HTTP exporters are shipped). */
export function otlpProtocol(o: Pick<TelemetryOptions, 'protocol' | 'env'>): OtlpProtocol {
  const env = o.env ?? process.env;
  const asked = o.protocol ?? env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (asked === 'http/protobuf' || asked === 'http/json') return asked;
  throw new RouterError(
    'RR_INVALID_CONFIG',
    `OTLP protocol ${JSON.stringify(asked)} is not supported: use http/protobuf or http/json (OTEL_EXPORTER_OTLP_PROTOCOL)`,
    { field: 'OTEL_EXPORTER_OTLP_PROTOCOL' },
  );
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
  const protocol = otlpProtocol(o);
  const base = o.endpoint?.replace(/\/+$/, '');
  // At most 16 batches are in flight when the queue is flushed (65,536 / 4,096): under this limit.
  const traceConfig = { ...(base !== undefined ? { url: `${base}/v1/traces` } : {}), concurrencyLimit: 64 };
  const metricConfig = base !== undefined ? { url: `${base}/v1/metrics` } : {};
  const exported = { spans: 0, failed: 0 };
  const traceExporter = counting(
    protocol === 'http/json' ? new JsonTraceExporter(traceConfig) : new ProtoTraceExporter(traceConfig),
    exported,
  );
  const metricExporter = protocol === 'http/json' ? new JsonMetricExporter(metricConfig) : new ProtoMetricExporter(metricConfig);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? o.serviceName,
    // Batching exporter: a span costs a push onto a queue on the hot path, the export happens off it.
    // A full queue drops spans (the SDK warns with the count) rather than slowing the loop.
    spanProcessors: [
      new tracing.BatchSpanProcessor(traceExporter, { maxQueueSize: 65_536, maxExportBatchSize: 4096, scheduledDelayMillis: 500 }),
    ],
    metricReaders: [
      new sdkMetrics.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: o.metricIntervalMs ?? 10_000 }),
    ],
    spanLimits: { linkCountLimit: MAX_LINKS },
    ...(o.sampler !== undefined ? { sampler: o.sampler } : {}),
    textMapPropagator: new core.W3CTraceContextPropagator(),
    contextManager: explicitOnly,
    instrumentations: [],
    autoDetectResources: true,
  });
  const warn = o.warn ?? ((m: string) => process.stderr.write(`opentelemetry: ${m}\n`));
  diag.setLogger({ error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  sdk.start();
  const telemetry = new Telemetry({
    tracer: trace.getTracer('reward-router'),
    meter: metrics.getMeter('reward-router'),
    propagator: new core.W3CTraceContextPropagator(),
  });
  let unsubscribe: (() => void) | null = null;
  let stopped: Promise<void> | null = null;
  const running: RunningTelemetry = {
    telemetry,
    protocol,
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
      return (stopped ??= sdk.shutdown());
    },
  };
  running.subscribe();
  return running;
}
