/**
 * Health and metrics for one app process: wrap the bus, serve /healthz, /readyz and /metrics.
 * `withHealth` is what `reward-router run <app> --health-port N` calls.
 */
import type { RecordCodec } from '../avro/codec.ts';
import type { Bus } from '../bus/types.ts';
import { topicName } from '../records/topics.ts';
import { instrumentBus, type InstrumentedBus } from './instrumentBus.ts';
import { createAppMetrics, type AppMetrics } from './metrics.ts';
import { createReadiness, type Readiness } from './readiness.ts';
import { startHealthServer, type HealthServer } from './server.ts';

export { instrumentBus, createAppMetrics, createReadiness, startHealthServer };
export type { InstrumentedBus, AppMetrics, Readiness, HealthServer };

export interface AppHealth {
  bus: InstrumentedBus;
  metrics: AppMetrics;
  readiness: Readiness;
  server: HealthServer;
  close(): Promise<void>;
}

export interface AppHealthOptions {
  app: string;
  bus: Bus;
  codec: RecordCodec;
  prefix: string;
  port: number;
  host?: string;
  /** Largest lag (records, per partition) still counted as caught up. */
  maxLag: number;
  processMetrics?: boolean;
  live?: () => boolean;
  onError?: (err: unknown) => void;
}

export async function startAppHealth(o: AppHealthOptions): Promise<AppHealth> {
  const metrics = createAppMetrics({ processMetrics: o.processMetrics });
  const bus = instrumentBus(o.bus, { app: o.app, metrics, codec: o.codec, onError: o.onError,
    dlqTopic: topicName(o.prefix, 'dlq'), posteriorsTopic: topicName(o.prefix, 'posteriors'), deltasTopic: topicName(o.prefix, 'posterior-deltas') });
  const readiness = createReadiness(bus, metrics, { app: o.app, maxLag: o.maxLag });
  const server = await startHealthServer({ port: o.port, host: o.host, metrics, readiness, live: o.live });
  return { bus, metrics, readiness, server, close: () => server.close() };
}
