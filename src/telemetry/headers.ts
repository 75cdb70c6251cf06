/**
 * W3C trace context in Kafka record headers. The bus carries headers as Buffers (Kafka's header
 * values are bytes), the OpenTelemetry propagator reads and writes strings: this is the bridge.
 */
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

export type BufferHeaders = Record<string, Buffer>;

export const headerGetter: TextMapGetter<BufferHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key]?.toString('utf8'),
};

export const headerSetter: TextMapSetter<BufferHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = Buffer.from(value, 'utf8');
  },
};
