// `posteriors` on the real broker: created compacted from the topic catalog's configs, and after
// the log cleaner has run, a fresh reader restores exactly the store's state (the latest snapshot
// of every RM survives compaction). Recipe: docs/kafka-local.md, "Compaction on demand" (short segment.ms, roll, poll).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { topicName } from '../../src/records/topics.ts';
import { restoreStore } from '../../streams/runtime/stateRestore.ts';
import { toSnapshotRecord } from '../../streams/runtime/snapshotRecord.ts';
import { startStoreApp, type StoreHandle } from '../../streams/store/store.ts';
import { brokersFromEnv, testLogLevel, TEST_CONSUMER_SETTINGS, uniqueName, waitFor } from '../helpers/kafka.ts';
import { createStateTopics, makeContext, type FixtureSpec } from './fixtures/loop.ts';
import { stateViews } from './fixtures/read.ts';
import { referenceDeltas, referenceState, toDeltaRecord } from './fixtures/reference.ts';

const spec: FixtureSpec = {
  run: 'run-1',
  prefix: `${uniqueName('compact')}.`,
  seed: 9,
  arms: ['rm-a', 'rm-b', 'rm-c'],
  d: 3,
  graceMs: 1000,
  pairs: 8,
};
const BATCHES = 8;

describe('posteriors compaction on Kafka', { timeout: 180_000 }, () => {
  let bus: Bus;
  let store: StoreHandle | undefined;
  after(async () => {
    await store?.close();
    await bus?.close();
  });

  it("is compacted, and a fresh reader after compaction holds the store's state bit for bit", { timeout: 170_000 }, async () => {
    bus = createKafkaBus({
      brokers: brokersFromEnv(),
      clientId: uniqueName('compact-test'),
      logLevel: testLogLevel(),
      consumerTiming: TEST_CONSUMER_SETTINGS,
    });
    // The catalog's configs, with the cleaner made eager so compaction shows within seconds.
    await createStateTopics(bus, spec, 1, {
      posteriors: { 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '100' },
    });
    const posteriors = topicName(spec.prefix, 'posteriors');
    const configs = await bus.describeTopicConfig(posteriors);
    assert.equal(configs['cleanup.policy'], 'compact');
    assert.equal(configs['min.compaction.lag.ms'], '0');

    const ctx = makeContext(bus, spec);
    store = await startStoreApp(ctx, { instanceId: 'compaction' });
    const producer = await bus.producer();
    for (const d of referenceDeltas(spec, BATCHES)) {
      await producer.send([
        {
          topic: topicName(spec.prefix, 'posterior-deltas'),
          key: Buffer.from(d.rm),
          value: await ctx.codec.encode('posterior-deltas', toDeltaRecord(d)),
        },
      ]);
    }
    const written = BATCHES * spec.arms.length;
    // Applied is not committed: wait until every RM's last snapshot is visible to read_committed
    // readers. (Not a record count: with segment.ms = 100 the cleaner may already have compacted
    // earlier snapshots away by then.)
    await waitFor(async () => (await restoreStore(bus, ctx.codec, ctx.settings)).versions.every((v) => v === BATCHES - 1), {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: 'every snapshot committed',
    });

    // The cleaner skips the active segment and a time roll needs an append: wait past segment.ms, append, poll.
    const roll = await ctx.codec.encode('posteriors', { ...toSnapshotRecord(store.state.snapshot(0)), run: 'roll' });
    let rolls = 0;
    await waitFor(
      async () => {
        await new Promise((r) => setTimeout(r, 300));
        await producer.send([{ topic: posteriors, key: Buffer.from('roll'), value: roll }]);
        rolls++;
        // Rolls are compacted too (one key), so fewer records than snapshots means the cleaner ran.
        return (await bus.readToEnd(posteriors)).length < written;
      },
      { timeoutMs: 120_000, intervalMs: 200, message: 'old snapshots compacted away' },
    );

    const left = await bus.readToEnd(posteriors);
    assert.ok(left.length < written + rolls, `compaction removed records (${left.length} of ${written + rolls} left)`);
    const fresh = await restoreStore(bus, ctx.codec, ctx.settings);
    assert.deepEqual(stateViews(fresh), stateViews(store.state));
    assert.deepEqual(stateViews(fresh), stateViews(referenceState(spec, BATCHES)));
  });
});
