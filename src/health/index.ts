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
  const bus = instrumentBus(o.bus, {
    app: o.app,
    metrics,
    codec: o.codec,
    onError: o.onError,
    dlqTopic: topicName(o.prefix, 'dlq'),
    posteriorsTopic: topicName(o.prefix, 'posteriors'),
    deltasTopic: topicName(o.prefix, 'posterior-deltas'),
  });
  const readiness = createReadiness(bus, metrics, { app: o.app, maxLag: o.maxLag });
  const server = await startHealthServer({ port: o.port, host: o.host, metrics, readiness, live: o.live });
  return { bus, metrics, readiness, server, close: () => server.close() };
}

export interface ProcessHealth {
  /** Instruments one incarnation's bus (`run <app>` under the supervisor opens a new bus per restart). */
  instrument(bus: Bus): InstrumentedBus;
  /** The incarnation on `bus` has started (restored, consumers running): /readyz follows it from now. */
  markStarted(bus: Bus, stats?: () => Record<string, number>): void;
  /** The process is stopping: not ready any more. */
  markStopped(): void;
  close(): Promise<void>;
}

/**
 * Health for a supervised process: one metrics registry and one server for the process lifetime,
 * and a readiness per incarnation (each bus has its own positions); /readyz answers for the
 * incarnation that started last, and is "not started" between a failure and the next start.
 */
export async function startProcessHealth(o: Omit<AppHealthOptions, 'bus'>): Promise<ProcessHealth> {
  const metrics = createAppMetrics({ processMetrics: o.processMetrics });
  const readinessOf = new WeakMap<Bus, Readiness>();
  let current: Readiness | null = null;
  let stopped = false;
  const notStarted = {
    ready: false,
    started: false,
    joined: false,
    caughtUp: false,
    lag: 0,
    reasons: ['not started: connecting, restoring state or joining'],
  };
  const readiness: Readiness = {
    markStarted() {},
    markStopped() {
      stopped = true;
      current?.markStopped();
    },
    check: async () =>
      current !== null && !stopped ? current.check() : { ...notStarted, reasons: stopped ? ['stopped'] : notStarted.reasons },
  };
  const server = await startHealthServer({ port: o.port, host: o.host, metrics, readiness, live: o.live });
  return {
    instrument(bus) {
      current = null; // a new incarnation: not ready until it has started
      const wrapped = instrumentBus(bus, {
        app: o.app,
        metrics,
        codec: o.codec,
        onError: o.onError,
        dlqTopic: topicName(o.prefix, 'dlq'),
        posteriorsTopic: topicName(o.prefix, 'posteriors'),
        deltasTopic: topicName(o.prefix, 'posterior-deltas'),
      });
      readinessOf.set(wrapped, createReadiness(wrapped, metrics, { app: o.app, maxLag: o.maxLag }));
      return wrapped;
    },
    markStarted(bus, stats) {
      const r = readinessOf.get(bus);
      if (r === undefined) return;
      r.markStarted(stats);
      current = r;
    },
    markStopped: () => readiness.markStopped(),
    close: () => server.close(),
  };
}
