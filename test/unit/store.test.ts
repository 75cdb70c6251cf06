// The posterior store on the in-process bus: each delta applied once (a redelivery is a duplicate),
// an early delta held until the gap fills, bad deltas dead-lettered, and a restart restoring from
// `posteriors` bit for bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryBus, type MemoryBus } from '../../src/bus/memory/index.ts';
import type { BusProducer, OutRecord } from '../../src/bus/types.ts';
import type { DeltaBatch } from '../../src/core/delta.ts';
import { topicName } from '../../src/records/topics.ts';
import { restoreStore } from '../../streams/runtime/stateRestore.ts';
import { startStoreApp } from '../../streams/store/store.ts';
import { createStateTopics, makeContext, type FixtureSpec } from '../integration/fixtures/loop.ts';
import { readDeadLetters, readSnapshots, stateViews } from '../integration/fixtures/read.ts';
import { referenceDeltas, referenceState, toDeltaRecord } from '../integration/fixtures/reference.ts';
import { waitFor } from '../helpers/kafka.ts';

const spec = (name: string): FixtureSpec => ({
  run: 'run-1',
  prefix: `${name}.`,
  seed: 5,
  arms: ['rm-a', 'rm-b', 'rm-c'],
  d: 3,
  graceMs: 1000,
  pairs: 10,
});

async function setup(
  s: FixtureSpec,
): Promise<{ bus: MemoryBus; ctx: ReturnType<typeof makeContext>; producer: BusProducer; deltaRecord(d: DeltaBatch): Promise<OutRecord> }> {
  const bus = createMemoryBus();
  await createStateTopics(bus, s);
  const ctx = makeContext(bus, s);
  const producer = await bus.producer();
  const deltaRecord = async (d: DeltaBatch): Promise<OutRecord> => ({
    topic: topicName(s.prefix, 'posterior-deltas'),
    key: Buffer.from(d.rm),
    value: await ctx.codec.encode('posterior-deltas', toDeltaRecord(d)),
  });
  return { bus, ctx, producer, deltaRecord };
}

describe('store app', () => {
  it('applies each delta once: a redelivered delta is a duplicate and writes nothing', async () => {
    const s = spec('once');
    const { bus, ctx, producer, deltaRecord } = await setup(s);
    const store = await startStoreApp(ctx);
    const deltas = referenceDeltas(s, 2);
    for (const d of deltas) await producer.send([await deltaRecord(d)]);
    await producer.send([await deltaRecord(deltas[0]!)]); // redelivery of (0, rm-a)
    await waitFor(() => store.stats().in === 7, { message: '7 deltas consumed' });
    assert.equal(store.stats().applied, 6);
    assert.equal(store.stats().duplicates, 1);
    const snaps = await readSnapshots(bus, ctx.codec, s.prefix);
    assert.equal(snaps.length, 6);
    for (const rm of s.arms)
      assert.deepEqual(
        snaps.filter((x) => x.rm === rm).map((x) => x.version),
        [0, 1],
      );
    assert.deepEqual(stateViews(store.state), stateViews(referenceState(s, 2)));
    await store.close();
    await bus.close();
  });

  it('holds an early delta until the gap fills', async () => {
    const s = spec('gap');
    const { bus, ctx, producer, deltaRecord } = await setup(s);
    const store = await startStoreApp(ctx);
    const deltas = referenceDeltas(s, 3).filter((d) => d.rm === 'rm-b');
    await producer.send([await deltaRecord(deltas[2]!), await deltaRecord(deltas[1]!)]);
    await waitFor(() => store.stats().in === 2, { message: '2 deltas consumed' });
    assert.equal(store.stats().heldNow, 2);
    assert.equal((await readSnapshots(bus, ctx.codec, s.prefix)).length, 0);
    await producer.send([await deltaRecord(deltas[0]!)]);
    await waitFor(() => store.stats().applied === 3, { message: 'gap filled' });
    assert.deepEqual(
      (await readSnapshots(bus, ctx.codec, s.prefix)).map((x) => x.version),
      [0, 1, 2],
    );
    assert.equal(store.stats().heldNow, 0);
    assert.equal(store.state.versions[1], 2);
    await store.close();
    await bus.close();
  });

  it('dead-letters a delta with the wrong d or an unknown RM', async () => {
    const s = spec('bad');
    const { bus, ctx, producer, deltaRecord } = await setup(s);
    const store = await startStoreApp(ctx);
    const [good] = referenceDeltas(s, 1);
    await producer.send([await deltaRecord({ ...good!, d: 4 }), await deltaRecord({ ...good!, rm: 'rm-zzz' }), await deltaRecord(good!)]);
    await waitFor(async () => (await readDeadLetters(bus, ctx.codec, s.prefix)).length === 2, { message: '2 dead letters' });
    const reasons = (await readDeadLetters(bus, ctx.codec, s.prefix)).map((l) => l.reason).sort();
    assert.deepEqual(reasons, ['UNKNOWN_RM', 'WRONG_VECTOR_LENGTH']);
    assert.equal(store.stats().applied, 1);
    await store.close();
    await bus.close();
  });

  it('restores from posteriors bit-identically and goes on as if never stopped', async () => {
    const s = spec('restore');
    const { bus, ctx, producer, deltaRecord } = await setup(s);
    let store = await startStoreApp(ctx);
    const deltas = referenceDeltas(s, 6);
    for (const d of deltas.slice(0, 9)) await producer.send([await deltaRecord(d)]);
    await waitFor(() => store.stats().applied === 9, { message: '3 batches applied' });
    const before = stateViews(store.state);
    await store.close();
    const restored = await restoreStore(bus, ctx.codec, ctx.settings);
    assert.deepEqual(stateViews(restored), before);
    store = await startStoreApp(ctx);
    assert.deepEqual(stateViews(store.state), before);
    for (const d of deltas.slice(9)) await producer.send([await deltaRecord(d)]);
    await waitFor(() => store.state.version === 5, { message: 'all 6 batches applied' });
    assert.deepEqual(stateViews(store.state), stateViews(referenceState(s, 6)));
    assert.equal(store.stats().duplicates, 0);
    await store.close();
    await bus.close();
  });
});
