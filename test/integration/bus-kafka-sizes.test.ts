// Several posterior snapshots of d = 64 (≈ 66 KB each) for the same partition in one send and in one
// transaction: the broker checks max.message.bytes per record batch, so the adapter must not pack
// them into one batch (a store that did failed with "message larger than the max message size").
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { topicConfigs } from '../../src/records/topicConfigs.ts';
import { snapshotBytes } from '../../src/records/sizes.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, uniqueName, waitFor } from '../helpers/kafka.ts';

describe('large records on the real broker', { timeout: 60_000 }, () => {
  const bus = createKafkaBus({
    brokers: brokersFromEnv(),
    clientId: uniqueName('sizes'),
    logLevel: logLevel.NOTHING,
    consumerTiming: TEST_CONSUMER_SETTINGS,
  });
  after(() => bus.close());

  it('sends snapshot-sized records to one partition, plainly and in a transaction', async () => {
    const topic = uniqueName('posteriors');
    await bus.createTopics([{ name: topic, partitions: 1, configs: topicConfigs('posteriors', { d: 64 }) }]);
    const size = snapshotBytes(64) - 1024;
    const records = ['a', 'b', 'c', 'd'].map((k) => ({ topic, key: Buffer.from(k), value: Buffer.alloc(size, k) }));
    const plain = await bus.producer();
    await plain.send(records);
    const txp = await bus.producer({ transactionalId: uniqueName('sizes-txn') });
    const txn = await txp.transaction();
    await txn.send(records);
    await txn.commit();
    // EndTxn returns before the commit markers are written: poll until the transaction is readable.
    let read = await bus.readToEnd(topic);
    await waitFor(async () => (read = await bus.readToEnd(topic)).length === 8, {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'the transaction readable',
    });
    assert.equal(read.length, 8);
    assert.deepEqual(read.map((r) => r.key!.toString()).join(''), 'abcdabcd');
    assert.ok(read.every((r) => r.value!.length === size));
    await plain.close();
    await txp.close();
  });
});
