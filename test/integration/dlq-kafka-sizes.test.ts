// A Generation just under the generations topic's size limit, refused by validation, on the real
// broker: its dead letter fits dlq (the topic plan's explicit limits) and the router goes on with
// the next record. Before DeadLetter v4 the letter (record plus envelope) exceeded dlq's limit, the
// send failed and the router restarted on the same record: a crash loop, no letter.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock } from '../../src/bus/memory/index.ts';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { deadLetter } from '../../src/operators/deadLetter.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { RECORD_OVERHEAD_BYTES } from '../../src/records/sizes.ts';
import { deadLetterValueBytes } from '../../src/records/topicConfigs.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { DeadLetter, Generation } from '../../src/records/types.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, testLogLevel, uniqueName, waitFor } from '../helpers/kafka.ts';
import { quietLog, testSettings } from '../unit/streams-fixtures.ts';

describe('dead letters of records at the size limit, on the real broker', { timeout: 120_000 }, () => {
  const bus = createKafkaBus({
    brokers: brokersFromEnv(),
    clientId: uniqueName('dlq-sizes'),
    logLevel: testLogLevel(),
    consumerTiming: TEST_CONSUMER_SETTINGS,
  });
  after(() => bus.close());

  it('a Generation just under the generations limit, refused by validation, is a dead letter that fits; the next record is routed', async () => {
    const s = testSettings({ prefix: `${uniqueName('dlqsz')}.` });
    const codec = new SingleObjectCodec();
    const plan = await createLoopTopics(bus, s);
    const limitOf = (base: string) => Number(plan.find((t) => t.base === base)!.configs['max.message.bytes']);
    const genMax = limitOf('generations');
    assert.equal(genMax, 1048588, 'set explicitly by the plan');

    const [p0, p1] = simStream(s).generateBatch(0).prompts;
    const pair = (p: typeof p0, j: number, responseB: string) => ({
      pairId: p!.pairs[j]!.pairId,
      responseA: 'a',
      responseB,
      embedding: Array.from(p!.pairs[j]!.x),
    });
    const gen = (p: typeof p0, pairs: Generation['pairs']): Generation => ({
      run: s.run,
      batch: 0,
      promptId: p!.promptId,
      category: null,
      prompt: 'q',
      messages: [],
      pairs,
      sentAtMs: 0,
    });
    // One pair with a response far over maxResponseBytes (64 KiB), sized so the record batch is just
    // under the limit (61 bytes of batch header, ~60 of record framing and key).
    const target = genMax - 128;
    const sized = (n: number) => codec.encodeSync('generations', gen(p0, [pair(p0, 0, 'x'.repeat(n))]));
    let n = target - 2000;
    n += target - sized(n).length;
    const big = sized(n);
    assert.equal(big.length, target);
    const small = codec.encodeSync('generations', gen(p1, [pair(p1, 0, 'b')]));

    const fatal: unknown[] = [];
    const router = await startRouterApp({
      bus,
      codec,
      clock: counterClock(),
      log: quietLog,
      settings: s,
      onFatal: (e) => fatal.push(e),
    });
    try {
      const producer = await bus.producer();
      const generations = topicName(s.prefix, 'generations');
      // The broker takes the big record: it is under the topic's limit.
      await producer.send([
        { topic: generations, partition: 0, key: Buffer.from(recordKey('generations', gen(p0, [])) as string), value: big },
      ]);
      await producer.send([
        { topic: generations, partition: 0, key: Buffer.from(recordKey('generations', gen(p1, [])) as string), value: small },
      ]);
      await producer.close();

      const dlqTopic = topicName(s.prefix, 'dlq');
      await waitFor(async () => (await bus.readToEnd(dlqTopic)).length >= 1, { timeoutMs: 60_000, message: 'the dead letter' });
      const decisions = topicName(s.prefix, 'decisions');
      let decided: string[] = [];
      await waitFor(
        async () =>
          (decided = (await bus.readToEnd(decisions)).flatMap((r) =>
            pairDecisions(codec.decodeSync('decisions', r.value!)).map((d) => d.pairId),
          )).length >= 1,
        { timeoutMs: 60_000, message: 'the next record routed' },
      );
      assert.deepEqual(decided, [p1!.pairs[0]!.pairId]);
      assert.deepEqual(fatal, [], 'the router never failed');

      const letters = await bus.readToEnd(dlqTopic);
      assert.equal(letters.length, 1);
      const raw = letters[0]!.value!;
      // The fault: this letter alone is over the broker's default max.message.bytes that dlq had before.
      assert.ok(raw.length + 61 > 1048588, `${raw.length} bytes + the 61-byte batch header`);
      assert.ok(raw.length <= deadLetterValueBytes(limitOf('dlq')), `${raw.length} bytes within dlq's limit ${limitOf('dlq')}`);
      assert.ok(raw.length + RECORD_OVERHEAD_BYTES <= limitOf('dlq'));
      const letter = codec.decodeSync('dlq', raw) as DeadLetter;
      assert.equal(letter.reason, 'RESPONSE_TOO_LARGE');
      assert.equal(letter.sourceTopic, generations);
      assert.equal(letter.sourcePartition, 0);
      assert.equal(letter.sourceOffset, '0');
      // The plan's dlq holds a whole record of any topic: the original is kept whole here.
      assert.equal(letter.originalLength, null);
      assert.equal(letter.originalSha256, null);
      assert.equal(createHash('sha256').update(letter.original).digest('hex'), createHash('sha256').update(big).digest('hex'));
    } finally {
      await router.close();
    }
  });

  it('a letter bounded to a smaller dlq topic keeps a prefix, the length and SHA-256, and the broker takes it', async () => {
    const codec = new SingleObjectCodec();
    const dlqTopic = uniqueName('dlq-small');
    const dlqMax = 100_000;
    await bus.createTopics([{ name: dlqTopic, partitions: 1, configs: { 'max.message.bytes': String(dlqMax) } }]);
    const value = Buffer.alloc(900_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 131 + 17) & 0xff;
    const source = {
      topic: 'rr.generations',
      partition: 4,
      offset: '123456',
      key: Buffer.from('run:p'),
      value,
      headers: {},
      timestamp: '0',
    };
    const err = new Error('pair p/0: a response of 899000 bytes, the limit is 65536');
    const out = await deadLetter(codec, { now: () => 5 }, 'rr.', 'router', source, err, 'RESPONSE_TOO_LARGE', deadLetterValueBytes(dlqMax));
    const producer = await bus.producer();
    await producer.send([{ ...out, topic: dlqTopic, partition: 0 }]);
    await producer.close();
    const [back] = await bus.readToEnd(dlqTopic);
    const letter = codec.decodeSync('dlq', back!.value!) as DeadLetter;
    assert.ok(back!.value!.length <= deadLetterValueBytes(dlqMax));
    assert.equal(letter.sourceOffset, '123456');
    assert.equal(letter.sourcePartition, 4);
    assert.equal(letter.originalLength, value.length);
    assert.deepEqual(letter.originalSha256, createHash('sha256').update(value).digest());
    assert.deepEqual(letter.original, value.subarray(0, letter.original.length));
    assert.ok(letter.original.length > dlqMax - RECORD_OVERHEAD_BYTES - 1000);
  });
});
