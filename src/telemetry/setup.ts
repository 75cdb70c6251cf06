/**
 * Turning tracing on for a process: the OpenTelemetry Node SDK with an OTLP/HTTP exporter for
 * traces and one for metrics, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-specific
 * variable) is set, or an endpoint is passed. Off otherwise: no SDK, no Telemetry, nothing
 * in the apps' path. No automatic instrumentation is loaded: the kafkajs instrumentation neither
 * traces transactions nor continues a record's trace in eachBatch, so the apps trace themselves
 * (telemetry.ts). The usual OTEL_* variables (service name, resource attributes, headers,
 * sampler) keep their meaning.
 */
import { metrics, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK, core, metrics as sdkMetrics, tracing } from '@opentelemetry/sdk-node';
import { MAX_LINKS, Telemetry } from './telemetry.ts';

export interface TelemetryOptions {
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise, e.g. `reward-router-router`. */
  serviceName: string;
  /** Base URL of an OTLP/HTTP receiver (`/v1/traces` and `/v1/metrics` are added). Default: the environment's. */
  endpoint?: string;
  env?: NodeJS.ProcessEnv;
  /** How often metrics are exported (default 10 s; the last ones go out on shutdown). */
  metricIntervalMs?: number;
}

export interface RunningTelemetry {
  readonly telemetry: Telemetry;
  /** Exports what is buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Whether tracing is asked for: an endpoint passed or named by the environment, and the SDK not disabled. */
export function tracingWanted(o: Pick<TelemetryOptions, 'endpoint' | 'env'>): boolean {
  const env = o.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return Boolean(o.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Starts the SDK when tracing is wanted; null (and nothing started) when it is not. */
export function startTelemetry(o: TelemetryOptions): RunningTelemetry | null {
  if (!tracingWanted(o)) return null;
  const base = o.endpoint?.replace(/\/+$/, '');
  const traceExporter = new OTLPTraceExporter(base !== undefined ? { url: `${base}/v1/traces` } : {});
  const metricExporter = new OTLPMetricExporter(base !== undefined ? { url: `${base}/v1/metrics` } : {});
  const env = o.env ?? process.env;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? o.serviceName,
    // Batching exporter: a span costs a push onto a queue on the hot path, the export happens off it.
    spanProcessors: [new tracing.BatchSpanProcessor(traceExporter, { maxQueueSize: 65_536, maxExportBatchSize: 2048, scheduledDelayMillis: 1000 })],
    metricReaders: [new sdkMetrics.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: o.metricIntervalMs ?? 10_000 })],
    spanLimits: { linkCountLimit: MAX_LINKS },
    textMapPropagator: new core.W3CTraceContextPropagator(),
    instrumentations: [],
    autoDetectResources: true,
  });
  sdk.start();
  const telemetry = new Telemetry({
    tracer: trace.getTracer('reward-router'),
    meter: metrics.getMeter('reward-router'),
    propagator: new core.W3CTraceContextPropagator(),
  });
  return { telemetry, shutdown: () => sdk.shutdown() };
}
