/** Tracing and metrics with OpenTelemetry (docs/tracing.md). */
export { Telemetry, MAX_LINKS } from './telemetry.ts';
export {
  appResource,
  exporterWanted,
  grpcExporter,
  otlpProtocol,
  signalExport,
  startTelemetry,
  tracingWanted,
  type OtlpProtocol,
  type Signal,
  type SignalExport,
  type RunningTelemetry,
  type TelemetryOptions,
} from './setup.ts';
export { meterBus } from './bus.ts';
export { ATTR } from './attributes.ts';
export { subscribeTelemetry } from './subscribe.ts';
export { CHANNELS } from './channels.ts';
