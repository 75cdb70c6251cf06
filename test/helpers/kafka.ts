// Helpers for integration tests against the real broker that scripts/test.mjs starts
// (deploy/kafka/kafka.mjs). The broker address comes in KAFKA_BROKERS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import type { Admin, ConsumerConfig, ITopicConfig, KafkaConfig } from 'kafkajs';
import { partitionForKey } from '../../src/bus/partitioner.ts';
import type { Bus, BusBatch, BusConsumer, BusRecord, ConsumerOptions } from '../../src/bus/types.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** The broker list from KAFKA_BROKERS (comma-separated host:port). */
export function brokersFromEnv(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (raw === undefined || raw.trim() === '') {
    throw new Error(
      'KAFKA_BROKERS is not set: run integration tests through `npm test` ' +
        '(it starts a broker), or start one with `npm run kafka:up` and export KAFKA_BROKERS=<printed address>.',
    );
  }
  return raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

const LOG_LEVELS: Record<string, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
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

// ---------------------------------------------------------------------------------------------
// The bus contract (src/bus): one set of cases, run against the in-process bus
// (test/unit/bus-memory.test.ts) and the Kafka adapter (test/integration/bus-kafka.test.ts).

export interface BusContractOptions {
  makeBus(): Bus | Promise<Bus>;
  /** Gives a paused consumer every chance to (wrongly) deliver: a few fetch cycles on Kafka. */
  settle(): Promise<void>;
  /** Per waitFor; the test-level timeout is a multiple. */
  timeoutMs: number;
}

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

/** Runs a consumer that collects every record it gets; the caller closes it (tracked by the bus too). */
export async function collectRecords(
  bus: Bus,
  opts: ConsumerOptions,
  onBatch?: (batch: BusBatch) => Promise<void>,
): Promise<{ consumer: BusConsumer; records: BusRecord[] }> {
  const consumer = await bus.consumer(opts);
  const records: BusRecord[] = [];
  await consumer.run(async (batch) => {
    await onBatch?.(batch);
    records.push(...batch.records);
  });
  return { consumer, records };
}

export function busContract(label: string, opts: BusContractOptions): void {
  const { timeoutMs } = opts;
  const testTimeout = timeoutMs * 4;
  const until = (predicate: () => boolean, message: string): Promise<void> => waitFor(predicate, { timeoutMs, message });

  describe(`bus contract: ${label}`, { timeout: testTimeout * 8 }, () => {
    let bus: Bus;
    before(async () => {
      bus = await opts.makeBus();
    });
    after(async () => {
      await bus.close();
    });

    it('keeps per-partition order and puts a key on partitionForKey(key, n)', { timeout: testTimeout }, async () => {
      const topic = uniqueName('bus-order');
      await bus.createTopics([{ name: topic, partitions: 3 }]);
      const producer = await bus.producer();
      const sent = Array.from({ length: 30 }, (_, i) => ({
        topic,
        key: buf(`k${i % 10}`),
        value: buf(`v${i}`),
        headers: { traceparent: buf(`tp-${i}`) },
      }));
      await producer.send(sent.slice(0, 15));
      await producer.send(sent.slice(15));
      const { consumer, records } = await collectRecords(bus, { groupId: uniqueName('g-order'), topics: [topic], fromBeginning: true });
      await until(() => records.length >= 30, '30 records');
      assert.equal(records.length, 30);
      for (const r of records) {
        assert.equal(r.partition, partitionForKey(r.key!, 3), `partition of ${str(r.key)}`);
        assert.equal(r.topic, topic);
        assert.equal(str(r.headers.traceparent ?? null), `tp-${str(r.value)!.slice(1)}`);
      }
      for (let p = 0; p < 3; p++) {
        const offsets = records.filter((r) => r.partition === p).map((r) => Number(r.offset));
        assert.deepEqual(
          offsets,
          [...offsets].sort((a, b) => a - b),
          `partition ${p} in offset order`,
        );
      }
      for (let k = 0; k < 10; k++) {
        const values = records.filter((r) => str(r.key) === `k${k}`).map((r) => str(r.value));
        assert.deepEqual(values, [`v${k}`, `v${k + 10}`, `v${k + 20}`], `key k${k} in send order`);
      }
      await consumer.close();
      await producer.close();
    });

    it('resumes a group from its committed offsets (auto and explicit commit)', { timeout: testTimeout }, async () => {
      const topic = uniqueName('bus-resume');
      const groupId = uniqueName('g-resume');
      await bus.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await bus.producer();
      const send = (from: number, n: number) =>
        producer.send(Array.from({ length: n }, (_, i) => ({ topic, key: buf('k'), value: buf(`v${from + i}`) })));
      await send(0, 5);
      const first = await collectRecords(bus, { groupId, topics: [topic], fromBeginning: true });
      await until(() => first.records.length >= 5, 'the first 5');
      await first.consumer.close(); // auto-committed: next offset 5

      await send(5, 3);
      const second = await collectRecords(bus, { groupId, topics: [topic], fromBeginning: true, autoCommit: false });
      await until(() => second.records.length >= 3, 'the 3 new ones');
      assert.deepEqual(
        second.records.map((r) => str(r.value)),
        ['v5', 'v6', 'v7'],
      );
      await second.consumer.commit([{ topic, partition: 0, offset: '7' }]); // next to read: 7, so v7 comes again
      await second.consumer.close();

      const third = await collectRecords(bus, { groupId, topics: [topic], fromBeginning: true });
      await until(() => third.records.length >= 1, 'the uncommitted one again');
      assert.deepEqual(
        third.records.map((r) => [r.offset, str(r.value)]),
        [['7', 'v7']],
      );
      await third.consumer.close();
      await producer.close();
    });

    it('hides aborted and open transactions from read_committed readers', { timeout: testTimeout }, async () => {
      const topic = uniqueName('bus-txn');
      await bus.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await bus.producer({ transactionalId: uniqueName('txn') });
      for (const [value, outcome] of [
        ['a', 'commit'],
        ['b', 'abort'],
        ['c', 'commit'],
      ] as const) {
        const txn = await producer.transaction();
        await txn.send([{ topic, key: buf('k'), value: buf(value) }]);
        await (outcome === 'commit' ? txn.commit() : txn.abort());
      }
      const { consumer, records } = await collectRecords(bus, { groupId: uniqueName('g-txn'), topics: [topic], fromBeginning: true });
      await until(() => records.some((r) => str(r.value) === 'c'), 'the last committed record');
      assert.deepEqual(
        records.map((r) => str(r.value)),
        ['a', 'c'],
      );
      assert.deepEqual(
        (await bus.readToEnd(topic)).map((r) => str(r.value)),
        ['a', 'c'],
      );
      assert.deepEqual(
        (await bus.readToEnd(topic, { readCommitted: false })).map((r) => str(r.value)),
        ['a', 'b', 'c'],
      );

      // An open transaction: readToEnd stops before it instead of waiting for it.
      const open = await producer.transaction();
      await open.send([{ topic, key: buf('k'), value: buf('open') }]);
      assert.deepEqual(
        (await bus.readToEnd(topic)).map((r) => str(r.value)),
        ['a', 'c'],
      );
      await open.commit();
      await until(() => records.some((r) => str(r.value) === 'open'), 'the record once committed');
      await consumer.close();
      await producer.close();
    });

    it('commits offsets sent in a transaction only when it commits', { timeout: testTimeout }, async () => {
      const input = uniqueName('bus-eos-in');
      const output = uniqueName('bus-eos-out');
      const groupId = uniqueName('g-eos');
      await bus.createTopics([
        { name: input, partitions: 1 },
        { name: output, partitions: 1 },
      ]);
      const plain = await bus.producer();
      await plain.send(['a', 'b', 'c', 'd'].map((v) => ({ topic: input, key: buf('k'), value: buf(v) })));
      const producer = await bus.producer({ transactionalId: uniqueName('eos') });

      // Consume-transform-produce; `finish` decides the transaction's fate.
      const pass = async (finish: 'commit' | 'abort', expected: number) => {
        const done: BusRecord[] = [];
        const { consumer } = await collectRecords(
          bus,
          { groupId, topics: [input], fromBeginning: true, autoCommit: false },
          async (batch) => {
            const txn = await producer.transaction();
            await txn.send(batch.records.map((r) => ({ topic: output, key: r.key, value: buf(`${str(r.value)}!`) })));
            const last = batch.records[batch.records.length - 1]!;
            await txn.sendOffsets(groupId, [{ topic: input, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }]);
            await (finish === 'commit' ? txn.commit() : txn.abort());
            done.push(...batch.records);
          },
        );
        await until(() => done.length >= expected, `${expected} records processed (${finish})`);
        await consumer.close();
        return done;
      };
      assert.equal((await pass('abort', 4)).length, 4);
      const again = await pass('commit', 4); // the abort left the group's offset where it was
      assert.deepEqual(
        again.map((r) => str(r.value)),
        ['a', 'b', 'c', 'd'],
      );
      // Read the output first: on Kafka its commit markers being readable means the coordinator has
      // finished the commit, offsets included (EndTxn returns before the markers are written).
      assert.deepEqual(
        (await bus.readToEnd(output)).map((r) => str(r.value)),
        ['a!', 'b!', 'c!', 'd!'],
      );
      await plain.send([{ topic: input, key: buf('k'), value: buf('e') }]);
      assert.deepEqual(
        (await pass('commit', 1)).map((r) => str(r.value)),
        ['e'],
      );
      await producer.close();
      await plain.close();
    });

    it('stops delivery on pause() and continues on resume()', { timeout: testTimeout }, async () => {
      const topic = uniqueName('bus-pause');
      await bus.createTopics([{ name: topic, partitions: 2 }]);
      const producer = await bus.producer();
      const send = (values: string[]) => producer.send(values.map((v) => ({ topic, key: buf(v), value: buf(v) })));
      const { consumer, records } = await collectRecords(bus, { groupId: uniqueName('g-pause'), topics: [topic], fromBeginning: true });
      await send(['a', 'b']);
      await until(() => records.length >= 2, 'the first two');
      consumer.pause();
      assert.equal(consumer.paused, true);
      await send(['c', 'd', 'e']);
      const ends = await bus.endOffsets(topic);
      assert.equal(
        ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0),
        5,
      );
      await opts.settle();
      assert.equal(records.length, 2, 'nothing delivered while paused');
      consumer.resume();
      await until(() => records.length >= 5, 'the rest after resume');
      assert.deepEqual(records.map((r) => str(r.value)).sort(), ['a', 'b', 'c', 'd', 'e']);
      await consumer.close();
      await producer.close();
    });

    it('reads every partition to the end at call time, and reports topic configs', { timeout: testTimeout }, async () => {
      const topic = uniqueName('bus-restore');
      const compacted = uniqueName('bus-configs');
      await bus.createTopics([
        { name: topic, partitions: 3 },
        { name: compacted, partitions: 1, configs: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.01' } },
      ]);
      assert.deepEqual(await bus.readToEnd(topic), []);
      const producer = await bus.producer();
      await producer.send(Array.from({ length: 12 }, (_, i) => ({ topic, key: buf(`k${i}`), value: buf(`v${i}`) })));
      const all = await bus.readToEnd(topic);
      assert.equal(all.length, 12);
      assert.deepEqual(
        all.map((r) => r.partition),
        [...all.map((r) => r.partition)].sort((a, b) => a - b),
      );
      const configs = await bus.describeTopicConfig(compacted);
      assert.equal(configs['cleanup.policy'], 'compact');
      assert.equal(configs['min.cleanable.dirty.ratio'], '0.01');
      await producer.close();
    });
  });
}
