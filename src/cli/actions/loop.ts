/**
 * The stream loop's commands, their work: `loop init` (train a prior on the simulated offline data
 * and write loop.json beside it), `topics create`, `run <app>` (one app as its own process on Kafka)
 * and `start` (the whole loop in one process, in-process bus by default, Kafka with --brokers).
 * Loaded by the actions only (the flags are in ../commands/loop.ts): kafkajs, the apps, RxJS,
 * OpenTelemetry and tfjs stay out of `--help`.
 */
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCodec } from '../../avro/codec.ts';
import { createKafkaBus } from '../../bus/kafka/index.ts';
import { createMemoryBus } from '../../bus/memory/index.ts';
import type { Bus, Clock } from '../../bus/types.ts';
import type { PriorFile } from '../../core/prior.ts';
import { defaultPool } from '../../sim/pool.ts';
import { defaultEncoderDir, loadPairEncoder } from '../../encoder/index.ts';
import { readPrior, trainOfflineRouter, writePrior, type OfflineDataset } from '../../offline/index.ts';
import { embedTextExamples, parseTextLine } from '../../offline/textJsonl.ts';
import { generateTextData } from '../../sim/textData.ts';
import { generateOfflineFromWorld } from '../../sim/offline.ts';
import { selectModels } from '../../sim/profiles.ts';
import { loadProfilesFile } from '../../sim/profilesFile.ts';
import { scenarioConfig } from '../../sim/scenarios.ts';
import { buildWorld } from '../../sim/world.ts';
import { appFactory } from '../../../streams/loop/apps.ts';
import { Supervisor } from '../../../streams/runtime/supervisor.ts';
import { jsonLogger, type LoopSettings, type ReliabilitySettings } from '../../../streams/runtime/context.ts';
import { runLoop, type LoopSummary } from '../../../streams/loop/loop.ts';
import { buildSettings, defaultProfiles, loadSettings, type LoopConfigFile } from '../../../streams/runtime/settings.ts';
import { createLoopTopics, describePlan } from '../../../streams/runtime/topics.ts';
import { kafkaClientConfig, kafkaClientSecurity } from '../../security/cli.ts';
import { verifyKafkaAccess } from '../../security/errors.ts';
import { startProcessHealth } from '../../health/index.ts';
import { appResource, meterBus, startTelemetry, type RunningTelemetry } from '../../telemetry/index.ts';
import { topicName } from '../../records/topics.ts';
import { list, nonNegative, parsePositiveInt } from '../options.ts';

const wallClock: Clock = { now: () => Date.now() };

interface PriorRequest {
  scenario: string;
  seed: number;
  d: number;
  models: string[];
  profiles: string;
  epochs?: number;
}

/** Trains the prior with the offline stage on the simulated offline data of the same seed (as `eval` does). */
export async function trainSimPrior(o: PriorRequest): Promise<PriorFile> {
  const pool = selectModels(loadProfilesFile(o.profiles), o.models);
  const cfg = scenarioConfig(o.scenario, { seed: o.seed, d: o.d });
  const examples = generateOfflineFromWorld(buildWorld(pool, cfg, o.seed));
  const data: OfflineDataset = {
    ids: examples.map((e) => e.id),
    categories: examples.map((e) => e.category),
    embeddings: examples.map((e) => e.embedding),
    labels: examples.map((e) => Uint8Array.from(pool.models, (a) => e.labels[a]!)),
    arms: [...pool.models],
    width: examples[0]?.embedding.length ?? 0,
  };
  return (await trainOfflineRouter({ data, d: o.d, seed: o.seed, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) })).prior;
}

/**
 * Text mode's on-the-fly prior: the demo's text data set of the same seed (src/sim/textData.ts),
 * embedded with the encoder, then the offline stage; the prior records the encoder.
 */
export async function trainTextPrior(o: PriorRequest & { encoder: string; examples?: number }): Promise<PriorFile> {
  const pool = selectModels(loadProfilesFile(o.profiles), o.models);
  const lines = generateTextData(
    buildWorld(pool, scenarioConfig(o.scenario, { seed: o.seed, offlineExamples: o.examples ?? 2000 }), o.seed),
  );
  let arms: string[] | undefined;
  const examples = lines.map((l, i) => {
    const ex = parseTextLine(JSON.stringify(l), i + 1, 'sim text data', arms)!;
    arms ??= ex.arms;
    return ex;
  });
  const encoder = await loadPairEncoder(o.encoder);
  try {
    const data = await embedTextExamples(examples, encoder);
    const { prior } = await trainOfflineRouter({ data, d: o.d, seed: o.seed, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) });
    return { ...prior, encoder: encoder.info };
  } finally {
    await encoder.close();
  }
}

function kafkaBus(brokers: string, clientId: string, r?: ReliabilitySettings): Bus {
  if (r === undefined) return createKafkaBus({ brokers: list(brokers), clientId, kafkaConfig: kafkaClientConfig() });
  return createKafkaBus({
    brokers: list(brokers),
    clientId,
    logLevel: kafkajsLogLevel(),
    // Fail fast and let the supervisor restart the app: a request never hangs for minutes.
    kafkaConfig: {
      ...kafkaClientConfig(),
      connectionTimeout: 3_000,
      requestTimeout: 15_000,
      retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 5 },
    },
    consumerTiming: {
      sessionTimeout: r.sessionTimeoutMs,
      rebalanceTimeout: Math.max(10_000, 2 * r.sessionTimeoutMs),
      heartbeatInterval: r.heartbeatIntervalMs,
      maxWaitTimeInMs: r.maxWaitMs,
    },
  });
}

/** kafkajs's own lines (retried broker answers at WARN, src/bus/kafka/log.ts): `run` is quiet unless KAFKAJS_LOG_LEVEL says otherwise. */
function kafkajsLogLevel(): number {
  const levels: Record<string, number> = { nothing: 0, error: 1, warn: 2, info: 4, debug: 5 };
  return levels[(process.env.KAFKAJS_LOG_LEVEL ?? 'nothing').toLowerCase()] ?? 0;
}

export interface RunOptions {
  config: string;
  brokers: string;
  rm?: string;
  batches?: number;
  delayMs?: number;
  instance?: string;
  schemaRegistry?: string;
  outageLimitMs?: number;
  sessionTimeoutMs?: number;
  healthPort?: number;
  readyMaxLag: number;
}

const envInt = (name: string): number | undefined => (process.env[name] ? parsePositiveInt(process.env[name]!) : undefined);

/** bin/reward-router.mjs's signal handlers from the first line of the process (absent without it): see there. */
const earlySignals = (): { handOver(): void } | undefined =>
  (globalThis as { [key: symbol]: { handOver(): void } | undefined })[Symbol.for('reward-router.early-signals')];

/**
 * `reward-router run <app>`: the app under the supervisor (streams/runtime/supervisor.ts). Its signal
 * handlers are the first thing it installs, and then it takes over the ones that bin/reward-router.mjs
 * installed on the first line of the process: a SIGTERM that came while the CLI loaded is handed to
 * it. A signal before anything is opened exits 0 at once; one during startup or the group join stops
 * the supervisor, which leaves the group, and exits 0; a stop that does not finish within the close
 * bound exits 1.
 */
export async function runCommand(app: string, opts: RunOptions): Promise<number> {
  // Until the supervisor exists a signal is only remembered; from then on it stops the supervisor.
  let signalled: string | null = null;
  let onSignal = (signal: string): void => {
    signalled ??= signal;
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  earlySignals()?.handOver();
  const log = jsonLogger(process.stderr);
  const stoppedBeforeStarting = (signal: string): number => {
    // Nothing is open yet: nothing to close.
    log.info('stopping', { app, signal, before: 'starting' });
    log.info('stopped', { app, reason: 'stopped', restarts: 0 });
    return 0;
  };
  if (signalled !== null) return stoppedBeforeStarting(signalled);
  // Defaults that depend on this process or its env are filled in here, not shown as values in --help.
  const o = {
    ...opts,
    instance: opts.instance ?? defaultInstance(),
    schemaRegistry: opts.schemaRegistry ?? process.env.SCHEMA_REGISTRY_URL,
    healthPort: opts.healthPort ?? (process.env.RR_HEALTH_PORT ? nonNegative(process.env.RR_HEALTH_PORT) : 0),
  };
  const settings = await loadSettings(o.config);
  const r: ReliabilitySettings = { ...settings.reliability };
  r.outageLimitMs = o.outageLimitMs ?? envInt('RR_OUTAGE_LIMIT_MS') ?? r.outageLimitMs;
  r.sessionTimeoutMs = o.sessionTimeoutMs ?? envInt('RR_SESSION_TIMEOUT_MS') ?? r.sessionTimeoutMs;
  const factory = appFactory(app, o); // an unknown app name fails here, before any connection
  if (signalled !== null) return stoppedBeforeStarting(signalled);
  const codec = createCodec({ registryUrl: o.schemaRegistry, prefix: settings.prefix });
  const clientId = `reward-router-${app.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  // A consumer closed mid-join can leave the group only once the join completes (at most the
  // rebalance timeout), so the close bound covers that.
  const closeTimeoutMs = Math.max(15_000, Math.max(10_000, 2 * r.sessionTimeoutMs) + 5_000);
  // Health and metrics (src/health/): one server for the process, up before the app restores (so
  // /readyz says "not yet"); each incarnation's bus is instrumented and answers /readyz while it lives.
  // Tracing and OTLP metrics when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/telemetry/, docs/tracing.md): it subscribes to the
  // channels the apps publish on, before any app starts; off, nothing listens and nothing is loaded in the path.
  const otel = startTelemetry({ ...appResource(app, o.rm), brokers: list(o.brokers) });
  const metered = (bus: Bus): Bus =>
    otel === null
      ? bus
      : meterBus(bus, otel.telemetry, {
          app,
          codec,
          dlqTopic: topicName(settings.prefix, 'dlq'),
          onError: (e) => log.warn('dead letter metric decode failed', { err: String(e) }),
        });
  const health =
    o.healthPort > 0
      ? await startProcessHealth({
          app,
          codec,
          prefix: settings.prefix,
          port: o.healthPort,
          maxLag: o.readyMaxLag,
          onError: (e) => log.warn('metrics decode failed', { err: String(e) }),
        })
      : null;
  const supervisor = new Supervisor({
    name: app,
    outageLimitMs: r.outageLimitMs,
    log,
    closeTimeoutMs,
    now: () => performance.now(),
    openBus: () => {
      const bus = metered(kafkaBus(o.brokers, clientId, r));
      return health?.instrument(bus) ?? bus;
    },
    startApp: async (bus, fail) => {
      const handle = await factory({ bus: bus as Bus, codec, clock: wallClock, log, settings, onFatal: fail });
      health?.markStarted(bus as Bus, () => handle.stats());
      return handle;
    },
  });
  const stop = (signal: string): void => {
    log.info('stopping', { app, signal });
    supervisor.stop();
    setTimeout(() => {
      process.stderr.write(`reward-router run ${app}: did not stop within ${closeTimeoutMs + 5_000} ms after ${signal}\n`);
      process.exit(1);
    }, closeTimeoutMs + 5_000).unref();
  };
  onSignal = stop;
  // A signal while the health server and telemetry started: the supervisor stops before it opens a bus.
  if (signalled !== null) stop(signalled);
  // A rejection nobody handled is a failure of the current incarnation, not a silent dead client.
  process.on('unhandledRejection', (err) => {
    log.error('unhandled rejection', { app, error: err instanceof Error ? err.message : String(err) });
    supervisor.fail(err);
  });
  log.info('starting', { app, pid: process.pid, outageLimitMs: r.outageLimitMs, sessionTimeoutMs: r.sessionTimeoutMs });
  // With SASL or TLS configured, a wrong password or CA fails here in seconds with a clear RR_BROKER
  // error (src/security/) instead of being retried as an outage.
  const sec = kafkaClientSecurity();
  if (sec.sasl !== undefined || sec.ssl !== undefined) await checkKafka(o.brokers);
  const res = await supervisor.run();
  health?.markStopped();
  await health?.close();
  await shutdownTelemetry(otel, log);
  if (res.code === 0) log.info('stopped', { app, reason: res.reason, restarts: res.restarts, ...res.stats });
  else {
    log.error('giving up', { app, reason: res.reason, restarts: res.restarts, message: res.message, ...res.stats });
    process.stderr.write(`reward-router run ${app}: ${res.message}\n`);
  }
  return res.code;
}

/** `run router`'s instance id when --instance is not given: unique per host and process. */
export const defaultInstance = (): string => `${hostname()}-${process.pid}`;

/** Exports what tracing still buffers; an unreachable collector is logged, never a failed exit. */
async function shutdownTelemetry(
  otel: RunningTelemetry | null,
  log: { warn(m: string, f?: Record<string, unknown>): void },
): Promise<void> {
  await otel?.shutdown().catch((err: unknown) => log.warn('telemetry export at shutdown failed', { err: String(err) }));
}

/** A wrong password or CA fails here in seconds with a clear RR_BROKER error (src/security/). */
const checkKafka = (brokers: string): Promise<void> => verifyKafkaAccess(list(brokers), kafkaClientSecurity());

function printSummary(s: LoopSummary, out: NodeJS.WritableStream): void {
  const dl =
    Object.entries(s.deadLetters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none';
  out.write(
    [
      `batches: ${s.batches}   pairs routed: ${s.pairs}   wall time: ${(s.wallMs / 1000).toFixed(1)} s`,
      `routed-label accuracy: ${(100 * s.accuracy).toFixed(2)}%   kept-label accuracy: ${(100 * s.keptAccuracy).toFixed(2)}%`,
      `dead letters: ${dl}`,
      ...((s.stats.router?.auditRequests ?? 0) > 0
        ? [
            `shadow scoring: ${s.stats.router!.auditRequests} audit requests, ${s.stats.labeler?.auditPairs ?? 0} audit pair scores (recorded, never labelled)`,
          ]
        : []),
      ...s.snapshots.map((p) => `posterior ${p.rm}: version ${p.version}, ${p.n} updates`),
    ].join('\n') + '\n',
  );
}

export interface StartOptions {
  batches: number;
  seed: number;
  scenario: string;
  brokers?: string;
  config?: string;
  d: number;
  epochs?: number;
  prefix?: string;
  schemaRegistry?: string;
  text?: boolean;
  encoder?: string;
  prior?: string;
  shadowFraction?: number;
}

export async function startCommand(o: StartOptions): Promise<LoopSummary> {
  const log = jsonLogger(process.stderr, { quiet: true });
  let settings: LoopSettings;
  if (o.config) {
    settings = await loadSettings(o.config);
  } else if (o.text === true || o.encoder !== undefined) {
    // Text mode: the trainer sends texts without vectors, the router embeds them with the encoder.
    const encoder = o.encoder ?? defaultEncoderDir();
    let prior: PriorFile;
    if (o.prior !== undefined) {
      prior = await readPrior(o.prior);
    } else {
      process.stderr.write(
        `training the prior on the text demo data (seed ${o.seed}, d ${o.d}), embedded with the encoder in ${encoder}…\n`,
      );
      prior = await trainTextPrior({
        scenario: o.scenario,
        seed: o.seed,
        d: o.d,
        models: defaultPool,
        profiles: defaultProfiles,
        epochs: o.epochs,
        encoder,
      });
    }
    settings = buildSettings(
      {
        seed: o.seed,
        prefix: o.prefix ?? (o.brokers ? `rr-${Date.now()}.` : 'rr.'),
        sim: { scenario: o.scenario, config: { d: prior.d, batches: o.batches } },
        arms: prior.arms,
        encoder,
      },
      prior,
    );
  } else {
    process.stderr.write(`training the prior on the simulated offline data (seed ${o.seed}, d ${o.d})…\n`);
    const prior = await trainSimPrior({
      scenario: o.scenario,
      seed: o.seed,
      d: o.d,
      models: defaultPool,
      profiles: defaultProfiles,
      epochs: o.epochs,
    });
    settings = buildSettings(
      {
        seed: o.seed,
        prefix: o.prefix ?? (o.brokers ? `rr-${Date.now()}.` : 'rr.'),
        sim: { scenario: o.scenario, config: { d: o.d, batches: o.batches } },
      },
      prior,
    );
  }
  if (o.shadowFraction !== undefined) settings = { ...settings, shadow: { fraction: o.shadowFraction } };
  if (o.brokers) await checkKafka(o.brokers);
  const otel = startTelemetry({ serviceName: 'reward-router', ...(o.brokers ? { brokers: list(o.brokers) } : {}) });
  const codec = createCodec({ registryUrl: o.schemaRegistry ?? process.env.SCHEMA_REGISTRY_URL, prefix: settings.prefix });
  const raw = o.brokers ? kafkaBus(o.brokers, 'reward-router-start') : createMemoryBus({ clock: wallClock });
  const bus = otel === null ? raw : meterBus(raw, otel.telemetry, { app: 'loop', codec, dlqTopic: topicName(settings.prefix, 'dlq') });
  const t0 = performance.now();
  const progress = (t: number, stats: Record<string, Record<string, number>>) => {
    const pairs = stats.trainer?.pairs ?? 0;
    const dead = Object.values(stats).reduce((n, a) => n + (a.deadLettered ?? 0), 0);
    const rate = pairs / Math.max((performance.now() - t0) / 1000, 1e-3);
    const line = `batch ${t + 1}/${o.batches}  ${rate.toFixed(0)} pairs/s  dead letters ${dead}`;
    // A live line on a terminal; in a log (CI, a file) one line per tenth of the run.
    if (process.stderr.isTTY) process.stderr.write(`\r${line}   `);
    else if ((t + 1) % Math.max(1, Math.round(o.batches / 10)) === 0) process.stderr.write(`${line}\n`);
  };
  try {
    const summary = await runLoop({ bus, settings, batches: o.batches, clock: wallClock, log, codec, onProgress: progress });
    if (process.stderr.isTTY) process.stderr.write('\n');
    printSummary(summary, process.stdout);
    return summary;
  } finally {
    await bus.close();
    await shutdownTelemetry(otel, log);
  }
}

export interface InitOptions {
  out: string;
  seed: number;
  run?: string;
  prefix: string;
  scenario: string;
  batches: number;
  d: number;
  models: string[];
  epochs?: number;
  text?: boolean;
  encoder?: string;
  shadowFraction?: number;
}

/** `loop init`: trains the prior, writes loop.json and prior.json beside it. */
export async function initCommand(o: InitOptions): Promise<void> {
  const text = o.text === true || o.encoder !== undefined;
  const encoder = text ? resolve(o.encoder ?? defaultEncoderDir()) : undefined;
  const request = { scenario: o.scenario, seed: o.seed, d: o.d, models: o.models, profiles: defaultProfiles, epochs: o.epochs };
  const prior = encoder !== undefined ? await trainTextPrior({ ...request, encoder }) : await trainSimPrior(request);
  const file: LoopConfigFile = {
    ...(o.run ? { run: o.run } : {}),
    seed: o.seed,
    prefix: o.prefix,
    arms: o.models,
    prior: 'prior.json',
    sim: { scenario: o.scenario, config: { d: o.d, batches: o.batches } },
    ...(encoder !== undefined ? { encoder } : {}),
    ...(o.shadowFraction !== undefined ? { shadow: { fraction: o.shadowFraction } } : {}),
  };
  buildSettings(file, prior); // validate before writing anything
  await writePrior(join(dirname(resolve(o.out)), 'prior.json'), prior);
  await writeFile(o.out, JSON.stringify(file, null, 2) + '\n', 'utf8');
  process.stdout.write(`wrote ${o.out} and ${join(dirname(o.out), 'prior.json')}\n`);
}

/** `topics create`: every topic of the loop, then the plan on stdout. */
export async function topicsCreateCommand(o: { config: string; brokers: string }): Promise<void> {
  const settings = await loadSettings(o.config);
  await checkKafka(o.brokers);
  const bus = kafkaBus(o.brokers, 'reward-router-topics');
  try {
    process.stdout.write(describePlan(await createLoopTopics(bus, settings)) + '\n');
  } finally {
    await bus.close();
  }
}
