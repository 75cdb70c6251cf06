/**
 * What every stream app is given: the bus, the record codec, an injected clock,
 * a logger and the loop's settings. Apps take nothing else from the outside, so
 * the same app runs in one process on the in-process bus (`npm start`), as its
 * own process on Kafka (`reward-router run <app>`), and in tests.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import type { Bus, Clock } from '../../src/bus/types.ts';
import type { PosteriorConfig } from '../../src/core/posterior.ts';
import type { PriorFile } from '../../src/core/prior.ts';
import type { QuantileConfig } from '../../src/core/normalize.ts';
import type { InputLimits } from '../../src/operators/limitInput.ts';
import type { SimSettings } from '../../src/sim/backend.ts';
import type { ScorerConfig } from '../../src/scorers/config.ts';

/** Settings shared by every app of one loop (one training run in one topic namespace). */
export interface LoopSettings {
  /** Training run id: the RNG key with `seed`, and the `run` field of every record. */
  run: string;
  seed: number;
  /** Topic / group / transactional-id prefix (one run per prefix: `posteriors` is keyed by RM). */
  prefix: string;
  /** RM ids in arm order (must match the prior's arms). */
  arms: string[];
  prior: PriorFile;
  posterior: PosteriorConfig;
  quantile: QuantileConfig;
  /** Batch t is routed with posterior version t − lag (the last batch the posterior has applied). */
  lag: number;
  tieEps: number;
  keepPerPrompt: number;
  /** How long the router waits for posterior version t − lag before routing with the newest it has. */
  posteriorWaitMs: number;
  /** How long after a batch-end marker the aggregator waits for missing losses before closing. */
  graceMs: number;
  /** Records a consumer may have in flight before it pauses (backpressure). */
  maxInFlight: number;
  /** Fault tolerance of apps run as their own processes (streams/runtime/supervisor.ts, docs/RELIABILITY.md). */
  reliability: ReliabilitySettings;
  partitions: number;
  /** Input limits the router enforces at the edge (dead letters PROMPT_TOO_LARGE, RESPONSE_TOO_LARGE, VECTOR_TOO_LONG, TOO_MANY_PAIRS). */
  limits: InputLimits;
  /**
   * Text mode: the model directory of the router's text encoder (src/encoder/); the simulated trainer
   * then sends prompt and response texts without vectors. Absent: the trainer supplies the vectors.
   */
  encoder?: string;
  /**
   * The router's selection rule: absent = bayesian-router (Thompson sampling); `linucb` = mean + α·std
   * with seeded ties (LASeR's rule; `replay --what-if method=linucb` sets it with LASeR's prior and rewards).
   */
  selection?: { kind: 'linucb'; alpha: number };
  /** RM id → its scorer backend (src/scorers/config.ts); an RM without one is simulated, which needs `sim`. */
  scorers?: Record<string, ScorerConfig>;
  /**
   * Shadow scoring (docs/replay.md): a seeded fraction of pairs (0 ≤ f ≤ 1; absent or 0 = off) is, besides
   * its routed request, sent to every other RM as audit requests whose scores are recorded, never labelled.
   */
  shadow?: { fraction: number };
  /**
   * The simulator (the demo, tests, benches): the simulated policy, RM pool and trainer. Absent in a
   * production loop: every RM then has a `scorers` entry and the trainer is the user's own.
   */
  sim?: SimSettings;
}

export interface ReliabilitySettings {
  /** Longest broker outage an app rides out (first failure → next successful start); past it, exit 1. */
  outageLimitMs: number;
  /** Consumer session timeout: a killed app's partitions move after this (≥ the broker's group.min.session.timeout.ms). */
  sessionTimeoutMs: number;
  /** Consumer heartbeat interval (kafkajs heartbeats between fetches, so maxWaitMs bounds it too). */
  heartbeatIntervalMs: number;
  /** Longest fetch wait: an idle member notices a rebalance within about this. */
  maxWaitMs: number;
  /** Pair ids the router remembers for DUPLICATE_PAIR (the newest ones; older duplicates pass to downstream dedupe). */
  dedupePairs: number;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  namespace(name: string): Logger;
}

export interface AppContext {
  bus: Bus;
  codec: RecordCodec;
  clock: Clock;
  log: Logger;
  settings: LoopSettings;
  /**
   * Called when the app cannot go on (a consumer crashed, a send, commit or transaction failed).
   * `reward-router run` passes its supervisor's (streams/runtime/supervisor.ts), which replaces the whole
   * app; without one the failure is only logged (the one-process loop, tests).
   */
  onFatal?: (err: unknown) => void;
}

/** A running app. `close` stops consuming, flushes what it owes and disconnects. */
export interface AppHandle {
  readonly name: string;
  close(): Promise<void>;
  /** Counters for the progress line and tests (records in, out, dead-lettered, in flight…). */
  stats(): Record<string, number>;
}

export type AppFactory = (ctx: AppContext) => Promise<AppHandle>;

/** A logger writing one JSON line per message to a stream (stderr by default); `quiet` drops info. */
export function jsonLogger(out: NodeJS.WritableStream = process.stderr, opts: { quiet?: boolean; ns?: string } = {}): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    if (opts.quiet && level === 'info') return;
    out.write(JSON.stringify({ level, ns: opts.ns, message, ...fields }) + '\n');
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    namespace: (name) => jsonLogger(out, { ...opts, ns: opts.ns ? `${opts.ns}.${name}` : name }),
  };
}
