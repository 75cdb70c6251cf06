// The aggregator app on the in-process bus: windows close in batch order, the deltas equal the pure
// core's bit for bit, a window closes `graceMs` after its marker (virtual time) with what it has, and
// a restart restores the normalizer's history so later deltas are unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualTimeScheduler } from 'rxjs';
import { createMemoryBus, type MemoryBus } from '../../src/bus/memory/index.ts';
import type { OutRecord } from '../../src/bus/types.ts';
import { startAggregatorApp } from '../../streams/aggregator/aggregator.ts';
import { batchRecords, createStateTopics, makeContext, pairIdOf, type FixtureSpec } from '../integration/fixtures/loop.ts';
import { readDeadLetters, readDeltas } from '../integration/fixtures/read.ts';
import { referenceDeltas, toDeltaRecord } from '../integration/fixtures/reference.ts';
import { waitFor } from '../helpers/kafka.ts';

const spec = (name: string): FixtureSpec => ({
  run: 'run-1',
  prefix: `${name}.`,
  seed: 7,
  arms: ['rm-a', 'rm-b', 'rm-c'],
  d: 3,
  graceMs: 1000,
  pairs: 8,
});

async function setup(
  s: FixtureSpec,
): Promise<{ bus: MemoryBus; ctx: ReturnType<typeof makeContext>; send(records: OutRecord[]): Promise<void> }> {
  const bus = createMemoryBus();
  await createStateTopics(bus, s);
  const ctx = makeContext(bus, s);
  const producer = await bus.producer();
  return { bus, ctx, send: (records) => producer.send(records) };
}

/** The expected delta bytes of batches [from, to), in (batch, arm) order. */
async function expectedBytes(
  ctx: ReturnType<typeof makeContext>,
  s: FixtureSpec,
  to: number,
  from = 0,
  drop?: (batch: number, pairId: string) => boolean,
): Promise<string[]> {
  const deltas = referenceDeltas(s, to, drop).filter((d) => d.batch >= from);
  return Promise.all(deltas.map(async (d) => (await ctx.codec.encode('posterior-deltas', toDeltaRecord(d))).toString('hex')));
}

/** Emitted delta bytes sorted by (batch, arm order). */
async function emittedBytes(ctx: ReturnType<typeof makeContext>, s: FixtureSpec): Promise<string[]> {
  const deltas = await readDeltas(ctx.bus, ctx.codec, s.prefix);
  deltas.sort((a, b) => a.value.batch - b.value.batch || s.arms.indexOf(a.value.rm) - s.arms.indexOf(b.value.rm));
  return deltas.map((d) => d.bytes.toString('hex'));
}

const deltaCount = async (ctx: ReturnType<typeof makeContext>, s: FixtureSpec): Promise<number> =>
  (await readDeltas(ctx.bus, ctx.codec, s.prefix)).length;

describe('aggregator app', () => {
  it("closes windows strictly in batch order, with the pure core's deltas", async () => {
    const s = spec('order');
    const { bus, ctx, send } = await setup(s);
    const app = await startAggregatorApp(ctx);
    // Batch 1 complete before anything of batch 0: it must wait.
    await send(await batchRecords(ctx, s, 1));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await deltaCount(ctx, s), 0);
    await send(await batchRecords(ctx, s, 0));
    for (let t = 2; t < 6; t++) await send(await batchRecords(ctx, s, t));
    await waitFor(async () => (await deltaCount(ctx, s)) === 18, { message: '18 deltas' });
    const inTopic = await readDeltas(bus, ctx.codec, s.prefix);
    for (const rm of s.arms)
      assert.deepEqual(
        inTopic.filter((d) => d.value.rm === rm).map((d) => d.value.batch),
        [0, 1, 2, 3, 4, 5],
      );
    assert.deepEqual(await emittedBytes(ctx, s), await expectedBytes(ctx, s, 6));
    assert.equal(app.stats().closed, 6);
    assert.equal(app.stats().deadLetters, 0);
    await app.close();
    await bus.close();
  });

  it('closes a window graceMs after its marker with what it has; a later LOSS is LATE_FEEDBACK', async () => {
    const s = spec('grace');
    const { bus, ctx, send } = await setup(s);
    const scheduler = new VirtualTimeScheduler();
    const app = await startAggregatorApp(ctx, { scheduler });
    const missing = pairIdOf(0, 3);
    const records = await batchRecords(ctx, s, 0);
    const late = records.filter((r) => r.topic.endsWith('feedback'))[3]!;
    await send(records.filter((r) => r !== late));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await deltaCount(ctx, s), 0, 'nothing before the grace period ends');
    scheduler.flush(); // virtual time passes graceMs
    await waitFor(async () => (await deltaCount(ctx, s)) === 3, { message: 'batch 0 closed by grace' });
    await send([late]);
    await waitFor(async () => (await readDeadLetters(bus, ctx.codec, s.prefix)).length === 1, { message: 'late LOSS dead-lettered' });
    const [letter] = await readDeadLetters(bus, ctx.codec, s.prefix);
    assert.equal(letter!.reason, 'LATE_FEEDBACK');
    assert.deepEqual(letter!.original, late.value);
    assert.deepEqual(await emittedBytes(ctx, s), await expectedBytes(ctx, s, 1, 0, (_b, p) => p === missing));
    assert.equal(app.stats().timedOut, 1);
    await app.close();
    await bus.close();
  });

  it("closes a batch whose BATCH_END never comes graceMs after a later batch's, counted; the next batches go on", async () => {
    const s = spec('noend');
    const { bus, ctx, send } = await setup(s);
    const scheduler = new VirtualTimeScheduler();
    const app = await startAggregatorApp(ctx, { scheduler });
    const b0 = await batchRecords(ctx, s, 0);
    const end0 = b0[b0.length - 1]!; // the BATCH_END is the last feedback record of the batch
    await send(b0.filter((r) => r !== end0));
    await send(await batchRecords(ctx, s, 1));
    await send(await batchRecords(ctx, s, 2));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await deltaCount(ctx, s), 0, 'batches 1 and 2 wait for batch 0');
    scheduler.flush(); // virtual time passes graceMs after batch 1's marker
    await waitFor(async () => (await deltaCount(ctx, s)) === 9, { message: 'batch 0 closed without its BATCH_END, then 1 and 2' });
    // Batch 0 closed with every LOSS it had (all 8), so the deltas are the uninterrupted run's.
    assert.deepEqual(await emittedBytes(ctx, s), await expectedBytes(ctx, s, 3));
    await send(await batchRecords(ctx, s, 3));
    await waitFor(async () => (await deltaCount(ctx, s)) === 12, { message: 'batch 3 closes as usual' });
    assert.deepEqual([app.stats().missingEnd, app.stats().closed, app.stats().deadLetters], [1, 4, 0]);
    await send([end0]); // the marker after all: a marker of a closed batch changes nothing
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await deltaCount(ctx, s), 12);
    await app.close();
    await bus.close();
  });

  it('restores the normalizer history on restart: later deltas are bit-identical to an uninterrupted run', async () => {
    const s = spec('restore');
    const { bus, ctx, send } = await setup(s);
    let app = await startAggregatorApp(ctx);
    for (let t = 0; t < 4; t++) await send(await batchRecords(ctx, s, t));
    // Half of batch 4, then stop: the open window is consumed again after the restart.
    const b4 = await batchRecords(ctx, s, 4);
    await send(b4.slice(0, 12));
    await waitFor(async () => (await deltaCount(ctx, s)) === 12, { message: 'batches 0..3 closed' });
    await app.close();
    app = await startAggregatorApp(ctx);
    assert.equal(app.stats().lastClosed, 3);
    await send(b4.slice(12));
    for (let t = 5; t < 9; t++) await send(await batchRecords(ctx, s, t));
    await waitFor(async () => (await deltaCount(ctx, s)) === 27, { message: 'all 9 batches closed' });
    assert.deepEqual(await emittedBytes(ctx, s), await expectedBytes(ctx, s, 9));
    assert.equal(app.stats().deadLetters, 0);
    await app.close();
    await bus.close();
  });
});
