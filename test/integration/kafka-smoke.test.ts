// Smoke test of the local broker (deploy/kafka/kafka.mjs) with KafkaJS: plain produce/consume with
// headers, and a transaction that commits one record and aborts another under a read_committed reader.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka } from 'kafkajs';
import type { Admin, Consumer, EachMessagePayload, Producer } from 'kafkajs';
import { createTopic, kafkaConfig, testConsumerConfig, uniqueName, waitFor } from '../helpers/kafka.ts';

interface Seen {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  offset: string;
}

function toSeen({ message }: EachMessagePayload): Seen {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return {
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers,
    offset: message.offset,
  };
}

describe('kafka smoke (real broker)', { timeout: 90_000 }, () => {
  const kafka = new Kafka(kafkaConfig('kafka-smoke'));
  let admin: Admin;
  // Everything connected here is disconnected in after(), also when a test fails midway.
  const clients: Array<Producer | Consumer> = [];

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.disconnect()));
    await admin.disconnect();
  });

  it('produces a record and consumes it back with key, value and headers', { timeout: 45_000 }, async () => {
    const topic = uniqueName('smoke-plain');
    await createTopic(admin, topic);

    const producer = kafka.producer();
    clients.push(producer);
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'pair-1', value: '{"hello":"kafka"}', headers: { traceparent: '00-abc-def-01', source: 'smoke' } }],
    });

    const consumer = kafka.consumer(testConsumerConfig(uniqueName('smoke-plain-group')));
    clients.push(consumer);
    const seen: Seen[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async (payload) => {
        seen.push(toSeen(payload));
      },
    });
    await waitFor(() => seen.length >= 1, { timeoutMs: 30_000, message: 'the produced record to arrive' });

    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0], {
      key: 'pair-1',
      value: '{"hello":"kafka"}',
      headers: { traceparent: '00-abc-def-01', source: 'smoke' },
      offset: '0',
    });
    await consumer.disconnect();
    await producer.disconnect();
  });

  it('read_committed sees the committed transaction and skips the aborted one', { timeout: 60_000 }, async () => {
    const topic = uniqueName('smoke-txn');
    await createTopic(admin, topic);

    const producer = kafka.producer({
      transactionalId: uniqueName('smoke-txn-id'),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 10_000,
    });
    clients.push(producer);
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'k', value: 'committed' }] });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
    await aborted.abort();

    // A sentinel after the aborted record: once it arrives, the reader has read past the aborted one.
    const sentinel = await producer.transaction();
    await sentinel.send({ topic, messages: [{ key: 'k', value: 'sentinel' }] });
    await sentinel.commit();

    const consumer = kafka.consumer(testConsumerConfig(uniqueName('smoke-txn-group'), { readUncommitted: false }));
    clients.push(consumer);
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async (payload) => {
        values.push(toSeen(payload).value ?? '<null>');
      },
    });
    await waitFor(() => values.includes('sentinel'), { timeoutMs: 30_000, message: 'the sentinel record to arrive' });

    assert.deepEqual(values, ['committed', 'sentinel']);
    await consumer.disconnect();
    await producer.disconnect();
  });
});
