// Helpers for integration tests against the real broker that scripts/test.mjs starts
// (deploy/kafka/kafka.mjs). The broker address comes in KAFKA_BROKERS.
import { logLevel } from 'kafkajs';
import type { Admin, ConsumerConfig, ITopicConfig, KafkaConfig } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** The broker list from KAFKA_BROKERS (comma-separated host:port). */
export function brokersFromEnv(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (raw === undefined || raw.trim() === '') {
    throw new Error('KAFKA_BROKERS is not set: run integration tests through `npm test` '
      + '(it starts a broker), or start one with `npm run kafka:up` and export KAFKA_BROKERS=<printed address>.');
  }
  return raw.split(',').map((b) => b.trim()).filter((b) => b !== '');
}

const LOG_LEVELS: Record<string, logLevel> = {
  nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG,
};

/**
 * KafkaJS log level for tests: KAFKAJS_LOG_LEVEL=nothing|error|warn|info|debug, default nothing
 * (KafkaJS logs retriable broker answers such as COORDINATOR_LOAD_IN_PROGRESS at ERROR level).
 */
export function testLogLevel(): logLevel {
  return LOG_LEVELS[(process.env.KAFKAJS_LOG_LEVEL ?? 'nothing').toLowerCase()] ?? logLevel.NOTHING;
}

/** Client settings for tests: quiet, fails fast instead of retrying for minutes. */
export function kafkaConfig(clientId: string): KafkaConfig {
  return {
    clientId,
    brokers: brokersFromEnv(),
    logLevel: testLogLevel(),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
}

let counter = 0;

/** A topic / group / transactional id unique within this run: prefix, pid and a counter (no randomness). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export interface CreateTopicOptions {
  numPartitions?: number;
  replicationFactor?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  config?: Record<string, string>;
}

/** Creates a topic and waits until its partitions have leaders (avoids LEADER_NOT_AVAILABLE on first use). */
export async function createTopic(admin: Admin, name: string, opts: CreateTopicOptions = {}): Promise<void> {
  const topic: ITopicConfig = {
    topic: name,
    numPartitions: opts.numPartitions ?? 1,
    replicationFactor: opts.replicationFactor ?? 1,
    configEntries: Object.entries(opts.config ?? {}).map(([name, value]) => ({ name, value })),
  };
  const created = await admin.createTopics({ topics: [topic], waitForLeaders: true, timeout: 10_000 });
  if (!created) throw new Error(`topic ${name} already exists`);
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the timeout error. */
  message?: string;
}

/** Polls predicate until it returns true; rejects after timeoutMs. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: WaitForOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 50, message = 'condition' } = opts;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() >= deadline) throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Consumer timings for tests: fast joins and prompt rebalances (KafkaJS heartbeats only between fetches). */
export const TEST_CONSUMER_SETTINGS = {
  sessionTimeout: 6_000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 250,
} as const satisfies Partial<ConsumerConfig>;

/** A consumer config with the test timings and the given group id. */
export function testConsumerConfig(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return { groupId, ...TEST_CONSUMER_SETTINGS, ...extra };
}
