// The Kafka adapter (src/bus/kafka) against the real broker: the shared bus contract, then what
// needs Kafka itself: the broker's compaction, partition choice equal to the in-process bus, the prefix.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { createMemoryBus } from '../../src/bus/memory/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import {
  brokersFromEnv,
  busContract,
  collectRecords,
  kafkaConfig,
  TEST_CONSUMER_SETTINGS,
  testLogLevel,
  uniqueName,
  waitFor,
} from '../helpers/kafka.ts';

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function testBus(prefix = ''): Bus {
  const { connectionTimeout, requestTimeout, retry } = kafkaConfig('bus-kafka');
  return createKafkaBus({
    brokers: brokersFromEnv(),
    clientId: uniqueName('bus-kafka'),
    logLevel: testLogLevel(),
    prefix,
    kafkaConfig: { connectionTimeout, requestTimeout, retry },
    consumerTiming: TEST_CONSUMER_SETTINGS,
    transactionTimeout: 10_000,
    joinTimeoutMs: 20_000,
  });
}

// A paused consumer gets several fetch cycles (maxWaitTimeInMs 250) to deliver wrongly; the contract
// has already waited for the records to be in the log (endOffsets), so they would have been fetched.
busContract('kafka', { makeBus: () => testBus(), settle: () => sleep(4 * TEST_CONSUMER_SETTINGS.maxWaitTimeInMs), timeoutMs: 20_000 });

describe('kafka bus adapter', { timeout: 120_000 }, () => {
  let bus: Bus;
  before(() => {
    bus = testBus();
  });
  after(async () => {
    await bus.close();
  });

  it('puts each key on the partition the in-process bus picks', { timeout: 45_000 }, async () => {
    const topic = uniqueName('bus-kafka-keys');
    const memory = createMemoryBus();
    for (const b of [bus, memory]) await b.createTopics([{ name: topic, partitions: 5 }]);
    const records = Array.from({ length: 40 }, (_, i) => ({ topic, key: buf(`run-1:prompt-${i}`), value: buf(`${i}`) }));
    for (const b of [bus, memory]) {
      const producer = await b.producer();
      await producer.send(records);
      await producer.close();
    }
    const where = async (b: Bus) => new Map((await b.readToEnd(topic)).map((r) => [str(r.key), r.partition]));
    const [onKafka, inProcess] = [await where(bus), await where(memory)];
    assert.equal(onKafka.size, 40);
    assert.deepEqual([...onKafka].sort(), [...inProcess].sort());
    await memory.close();
  });

  it('compacts a cleanup.policy=compact topic: readToEnd returns the latest value per key', { timeout: 45_000 }, async () => {
    const topic = uniqueName('bus-kafka-compact');
    // docs/kafka-local.md, "Compaction on demand": small segments and no lag, so the cleaner runs within about a second.
    await bus.createTopics([
      {
        name: topic,
        partitions: 1,
        configs: {
          'cleanup.policy': 'compact',
          'segment.ms': '100',
          'min.cleanable.dirty.ratio': '0.01',
          'min.compaction.lag.ms': '0',
          'delete.retention.ms': '100',
        },
      },
    ]);
    assert.equal((await bus.describeTopicConfig(topic))['cleanup.policy'], 'compact');
    const producer = await bus.producer();
    for (let i = 0; i < 5; i++) await producer.send(['a', 'b'].map((k) => ({ topic, key: buf(k), value: buf(`${k}${i}`) })));
    await sleep(150); // > segment.ms: the next append rolls the segment, which makes the old one cleanable
    await producer.send([{ topic, key: buf('c'), value: buf('c0') }]);
    let latest: string[] = [];
    await waitFor(
      async () => {
        latest = (await bus.readToEnd(topic)).map((r) => `${r.offset}:${str(r.key)}=${str(r.value)}`);
        return latest.length === 3;
      },
      { timeoutMs: 20_000, intervalMs: 300, message: 'the cleaner to compact the topic' },
    );
    assert.deepEqual(latest, ['8:a=a4', '9:b=b4', '10:c=c0']);
    await producer.close();
  });

  it('stops a consumer whose handler throws and hands the error to onError', { timeout: 45_000 }, async () => {
    const topic = uniqueName('bus-kafka-poison');
    const groupId = uniqueName('g-poison');
    await bus.createTopics([{ name: topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send([{ topic, key: buf('k'), value: buf('poison') }]);
    const errors: unknown[] = [];
    const consumer = await bus.consumer({ groupId, topics: [topic], fromBeginning: true, onError: (e) => errors.push(e) });
    let calls = 0;
    await consumer.run(async () => {
      calls += 1;
      throw new Error('boom');
    });
    await waitFor(() => errors.length === 1, { timeoutMs: 20_000, message: 'onError' });
    assert.equal((errors[0] as Error).message, 'boom');
    assert.equal(calls, 1, 'not retried');
    await consumer.close();
    // Nothing was committed: the group reads the record again.
    const again = await collectRecords(bus, { groupId, topics: [topic], fromBeginning: true });
    await waitFor(() => again.records.length === 1, { timeoutMs: 20_000, message: 'the record again' });
    await again.consumer.close();
    await producer.close();
  });

  it('namespaces topics and groups with the prefix, and hands back unprefixed names', { timeout: 45_000 }, async () => {
    const prefix = `${uniqueName('ns')}.`;
    const scoped = testBus(prefix);
    try {
      const topic = 'generations';
      await scoped.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await scoped.producer();
      await producer.send([{ topic, key: buf('k'), value: buf('v') }]);
      const { consumer, records } = await collectRecords(scoped, { groupId: 'router', topics: [topic], fromBeginning: true });
      await waitFor(() => records.length === 1, { timeoutMs: 20_000 });
      assert.equal(records[0]!.topic, topic);
      await consumer.commit([{ topic, partition: 0, offset: '1' }]);
      // The wire name carries the prefix: the unprefixed bus sees the same records there.
      assert.deepEqual(
        (await bus.readToEnd(`${prefix}${topic}`)).map((r) => str(r.value)),
        ['v'],
      );
      await consumer.close();
      await producer.close();
    } finally {
      await scoped.close();
    }
  });
});
