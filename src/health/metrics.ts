/**
 * The Prometheus metrics of one app (prom-client), all labelled with the app name:
 * records in and out per topic, dead letters per reason, consumer lag per partition, the
 * consume-to-commit latency of a record (for the router: the decision latency, from a generation
 * read to its decisions and scoring requests sent and its offset committed), the posterior version
 * per RM, and every number of the app's own `stats()`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface AppMetrics {
  readonly registry: Registry;
  readonly recordsIn: Counter<'app' | 'topic'>;
  readonly recordsOut: Counter<'app' | 'topic'>;
  readonly deadLetters: Counter<'app' | 'reason'>;
  readonly lag: Gauge<'app' | 'topic' | 'partition'>;
  readonly latency: Histogram<'app'>;
  readonly posteriorVersion: Gauge<'app' | 'rm'>;
  readonly stat: Gauge<'app' | 'name'>;
}

/** A fresh registry with the app's metrics (and Node's process metrics unless `processMetrics` is false). */
export function createAppMetrics(opts: { processMetrics?: boolean } = {}): AppMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'rr_' });
  const registers = [registry];
  return {
    registry,
    recordsIn: new Counter({
      name: 'rr_records_in_total',
      help: 'Records consumed, by topic (full name).',
      labelNames: ['app', 'topic'],
      registers,
    }),
    recordsOut: new Counter({
      name: 'rr_records_out_total',
      help: 'Records produced, by topic (full name), transactional sends included.',
      labelNames: ['app', 'topic'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'rr_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by reason code.',
      labelNames: ['app', 'reason'],
      registers,
    }),
    lag: new Gauge({
      name: 'rr_consumer_lag',
      help: 'End offset minus the next offset this app will read, per partition it has read from (updated on each scrape).',
      labelNames: ['app', 'topic', 'partition'],
      registers,
    }),
    latency: new Histogram({
      name: 'rr_record_latency_seconds',
      help: 'Time from a record being read to its offset being committed after its outputs were sent; for the router, the decision latency.',
      labelNames: ['app'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    posteriorVersion: new Gauge({
      name: 'rr_posterior_version',
      help: 'Posterior version per RM (last batch applied, -1 = the prior) as this app last wrote or used it.',
      labelNames: ['app', 'rm'],
      registers,
    }),
    stat: new Gauge({ name: 'rr_app_stat', help: "The app's own counters (stats()), by name.", labelNames: ['app', 'name'], registers }),
  };
}
