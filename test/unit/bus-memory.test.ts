// The in-process bus (src/bus/memory): the shared bus contract, then what only it has or does
// differently (explicit compaction, deterministic clock, fencing, rebalancing within one process).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { busContract, collectRecords, uniqueName, waitFor } from '../helpers/kafka.ts';

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
/** Lets every pending delivery run: the in-process bus needs no timers, only turns of the event loop. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

busContract('in-process', { makeBus: () => createMemoryBus(), settle, timeoutMs: 2_000 });

describe('in-process bus', () => {
  it('compacts to the latest record per key and drops tombstones', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 'posteriors', partitions: 2, configs: { 'cleanup.policy': 'compact' } }]);
    const producer = await bus.producer();
    for (let i = 0; i < 5; i++) {
      await producer.send(['a', 'b', 'c'].map((k) => ({ topic: 'posteriors', key: buf(k), value: buf(`${k}${i}`) })));
    }
    await producer.send([{ topic: 'posteriors', key: buf('b'), value: null }]);
    bus.compact();
    const latest = (await bus.readToEnd('posteriors')).map((r) => `${str(r.key)}=${str(r.value)}`).sort();
    assert.deepEqual(latest, ['a=a4', 'c=c4']);
    // Offsets never move: the survivors keep theirs, and new records continue after the old end.
    const ends = await bus.endOffsets('posteriors');
    assert.equal(
      ends.reduce((n, e) => n + Number(e.high), 0),
      16,
    );
    await assert.rejects(producer.send([{ topic: 'posteriors', key: null, value: buf('x') }]), (err) => isRouterError(err, 'RR_BUS'));
    await bus.close();
  });

  it('leaves records of an open transaction alone when compacting', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 'state', partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    const producer = await bus.producer({ transactionalId: 'store' });
    const t1 = await producer.transaction();
    await t1.send([{ topic: 'state', key: buf('k'), value: buf('v1') }]);
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send([{ topic: 'state', key: buf('k'), value: buf('v2') }]);
    bus.compact();
    await t2.abort();
    bus.compact();
    assert.deepEqual(
      (await bus.readToEnd('state', { readCommitted: false })).map((r) => str(r.value)),
      ['v1'],
    );
    await bus.close();
  });

  it('stamps records with the injected clock', async () => {
    const bus = createMemoryBus({ clock: counterClock(1_000) });
    await bus.createTopics([{ name: 't', partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send([
      { topic: 't', key: null, value: buf('x') },
      { topic: 't', key: null, value: buf('y') },
    ]);
    assert.deepEqual(
      (await bus.readToEnd('t')).map((r) => r.timestamp),
      ['1001', '1002'],
    );
    await bus.close();
  });

  it('fences an older producer with the same transactionalId and aborts its open transaction', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 't', partitions: 1 }]);
    const old = await bus.producer({ transactionalId: 'agg-0' });
    const txn = await old.transaction();
    await txn.send([{ topic: 't', key: buf('k'), value: buf('zombie') }]);
    const fresh = await bus.producer({ transactionalId: 'agg-0' });
    await assert.rejects(txn.commit(), (err) => isRouterError(err, 'RR_BUS'));
    const t2 = await fresh.transaction();
    await t2.send([{ topic: 't', key: buf('k'), value: buf('fresh') }]);
    await t2.commit();
    assert.deepEqual(
      (await bus.readToEnd('t')).map((r) => str(r.value)),
      ['fresh'],
    );
    await assert.rejects(old.send([]), (err) => isRouterError(err, 'RR_BUS'));
    await bus.close();
  });

  it('splits partitions among the members of a group and rebalances when one leaves', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 't', partitions: 4 }]);
    const groupId = uniqueName('g');
    const a = await collectRecords(bus, { groupId, topics: ['t'], fromBeginning: true });
    const b = await collectRecords(bus, { groupId, topics: ['t'], fromBeginning: true });
    const producer = await bus.producer();
    await producer.send([0, 1, 2, 3].map((p) => ({ topic: 't', key: null, value: buf(`p${p}`), partition: p })));
    await waitFor(() => a.records.length + b.records.length >= 4, { timeoutMs: 2_000 });
    assert.deepEqual(a.records.map((r) => r.partition).sort(), [0, 2]);
    assert.deepEqual(b.records.map((r) => r.partition).sort(), [1, 3]);
    await b.consumer.close();
    await producer.send([{ topic: 't', key: null, value: buf('late'), partition: 3 }]);
    await waitFor(() => a.records.some((r) => str(r.value) === 'late'), { timeoutMs: 2_000 });
    assert.equal(a.records.length, 3); // b had committed partitions 1 and 3: nothing is read twice
    await bus.close();
  });

  it('stops a consumer whose handler throws and reports the error; the batch stays uncommitted', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 't', partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send([{ topic: 't', key: null, value: buf('poison') }]);
    const errors: unknown[] = [];
    const groupId = uniqueName('g');
    const consumer = await bus.consumer({ groupId, topics: ['t'], fromBeginning: true, onError: (e) => errors.push(e) });
    await consumer.run(async () => {
      throw new Error('boom');
    });
    await waitFor(() => errors.length === 1, { timeoutMs: 2_000 });
    assert.equal((errors[0] as Error).message, 'boom');
    const again = await collectRecords(bus, { groupId, topics: ['t'], fromBeginning: true });
    await waitFor(() => again.records.length === 1, { timeoutMs: 2_000 });
    await bus.close();
  });

  it('refuses unknown topics, plain sends on transactional producers and a second open transaction', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 't', partitions: 1 }]);
    const isBusError = (err: unknown) => isRouterError(err, 'RR_BUS');
    const plain = await bus.producer();
    await assert.rejects(plain.send([{ topic: 'nope', key: null, value: null }]), isBusError);
    await assert.rejects(plain.send([{ topic: 't', key: null, value: null, partition: 1 }]), isBusError);
    await assert.rejects(plain.transaction(), isBusError);
    await assert.rejects(bus.consumer({ groupId: 'g', topics: ['nope'] }), isBusError);
    const txnal = await bus.producer({ transactionalId: 'x' });
    await assert.rejects(txnal.send([{ topic: 't', key: null, value: null }]), isBusError);
    await txnal.transaction();
    await assert.rejects(txnal.transaction(), isBusError);
    await bus.close();
    await assert.rejects(bus.producer(), isBusError);
  });
});
