/** Tracing and metrics with OpenTelemetry (docs/tracing.md). */
export { Telemetry, MAX_LINKS } from './telemetry.ts';
export { otlpProtocol, startTelemetry, tracingWanted, type OtlpProtocol, type RunningTelemetry, type TelemetryOptions } from './setup.ts';
export { meterBus } from './bus.ts';
export { ATTR } from './attributes.ts';
export { subscribeTelemetry } from './subscribe.ts';
export { CHANNELS } from './channels.ts';
