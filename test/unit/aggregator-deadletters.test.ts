// Every way the aggregator dead-letters a record, each with its reason code, while the valid
// records' deltas stay exactly the pure core's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualTimeScheduler } from 'rxjs';
import { createMemoryBus } from '../../src/bus/memory/index.ts';
import type { OutRecord } from '../../src/bus/types.ts';
import { topicName } from '../../src/records/topics.ts';
import type { Decision, Feedback } from '../../src/records/types.ts';
import { startAggregatorApp } from '../../streams/aggregator/aggregator.ts';
import { batchRecords, createStateTopics, makeContext, pairIdOf, syntheticBatch, type FixtureSpec } from '../integration/fixtures/loop.ts';
import { readDeadLetters, readDeltas } from '../integration/fixtures/read.ts';
import { referenceDeltas, toDeltaRecord } from '../integration/fixtures/reference.ts';
import { waitFor } from '../helpers/kafka.ts';

const s: FixtureSpec = { run: 'run-1', prefix: 'dl.', seed: 11, arms: ['rm-a', 'rm-b'], d: 3, graceMs: 500, pairs: 6 };

describe('aggregator dead letters', () => {
  it('dead-letters each bad record with its reason and leaves the valid deltas unchanged', async () => {
    const bus = createMemoryBus();
    await createStateTopics(bus, s);
    const ctx = makeContext(bus, s);
    const scheduler = new VirtualTimeScheduler();
    const app = await startAggregatorApp(ctx, { scheduler });
    const producer = await bus.producer();
    const fbTopic = topicName(s.prefix, 'feedback');
    const decTopic = topicName(s.prefix, 'decisions');
    const key = Buffer.from(s.run);
    const fb = async (f: Feedback): Promise<OutRecord> => ({ topic: fbTopic, key, value: await ctx.codec.encode('feedback', f) });
    const dec = async (d: Decision): Promise<OutRecord> => ({ topic: decTopic, key, value: await ctx.codec.encode('decisions', d) });
    const loss = (pairId: string, value: number, batch = 0): Feedback => ({
      run: s.run,
      batch,
      kind: 'LOSS',
      pairId,
      loss: value,
      expectedPairs: null,
    });

    const b0 = syntheticBatch(s, 0);
    const good = b0.decisions[0]!;
    const bad: OutRecord[] = [
      { topic: fbTopic, key, value: Buffer.from('not an avro record') }, // UNDECODABLE
      { topic: fbTopic, key, value: null }, // UNDECODABLE (no value)
      { topic: fbTopic, key, value: Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xab), Buffer.from([0])]) }, // UNKNOWN_SCHEMA
      await fb(loss('b0-nan', NaN)), // NON_FINITE
      await dec({ ...good, pairId: 'b0-bad-rm', chosenRm: 'rm-zzz' }), // UNKNOWN_RM
      await dec({ ...good, pairId: 'b0-short', context: [0.1, 0.2] }), // WRONG_VECTOR_LENGTH
      await fb(b0.feedback[2]!), // DUPLICATE_PAIR (second LOSS of b0-p2, inside the window)
      await fb(loss('b0-ghost', 0.5)), // UNKNOWN_PAIR (no decision ever)
    ];
    const records = await batchRecords(ctx, s, 0);
    const end = records.pop()!; // the BATCH_END marker goes last
    await producer.send([...records, ...bad, end]);
    for (let t = 1; t < 3; t++) await producer.send(await batchRecords(ctx, s, t));
    const deltaCount = async (): Promise<number> => (await readDeltas(bus, ctx.codec, s.prefix)).length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await deltaCount(), 0, 'batch 0 waits: b0-ghost has no decision');
    scheduler.flush(); // grace: batch 0 closes with what it has, then 1 and 2 follow
    await waitFor(async () => (await deltaCount()) === 6, { message: 'three batches closed' });
    await producer.send([await fb(loss(pairIdOf(0, 99), 0.3))]); // LATE_FEEDBACK
    await waitFor(async () => (await readDeadLetters(bus, ctx.codec, s.prefix)).length === 9, { message: '9 dead letters' });

    const letters = await readDeadLetters(bus, ctx.codec, s.prefix);
    assert.deepEqual(letters.map((l) => l.reason).sort(), [
      'DUPLICATE_PAIR',
      'LATE_FEEDBACK',
      'NON_FINITE',
      'UNDECODABLE',
      'UNDECODABLE',
      'UNKNOWN_PAIR',
      'UNKNOWN_RM',
      'UNKNOWN_SCHEMA',
      'WRONG_VECTOR_LENGTH',
    ]);
    for (const l of letters) assert.equal(l.stage, 'aggregator');
    const ghost = letters.find((l) => l.reason === 'UNKNOWN_PAIR')!;
    assert.equal((await ctx.codec.decode('feedback', ghost.original)).pairId, 'b0-ghost');

    const emitted = (await readDeltas(bus, ctx.codec, s.prefix))
      .sort((a, b) => a.value.batch - b.value.batch || s.arms.indexOf(a.value.rm) - s.arms.indexOf(b.value.rm))
      .map((d) => d.bytes.toString('hex'));
    const expected = await Promise.all(
      referenceDeltas(s, 3).map(async (d) => (await ctx.codec.encode('posterior-deltas', toDeltaRecord(d))).toString('hex')),
    );
    assert.deepEqual(emitted, expected);
    assert.equal(app.stats().deadLetters, 9);
    await app.close();
    await bus.close();
  });
});
