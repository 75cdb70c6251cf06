// On the real broker, the whole loop of ≥ 20 batches ends with posteriors bit-identical to the same
// seed on the in-process bus (and so to the pure-core eval loop, which test/unit/streams-loop.test.ts
// pins against the in-process bus).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { runLoop, type LoopSummary } from '../../streams/loop/loop.ts';
import { quietLog, testSettings } from '../unit/streams-fixtures.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, testLogLevel, uniqueName } from '../helpers/kafka.ts';

const BATCHES = 20;

async function loopOn(bus: Bus, prefix: string): Promise<LoopSummary> {
  const clock = counterClock();
  try {
    return await runLoop({ bus, settings: testSettings({ prefix }), batches: BATCHES, clock, log: quietLog });
  } finally {
    await bus.close();
  }
}

describe('the loop on the real broker', { timeout: 300_000 }, () => {
  const buses: Bus[] = [];
  after(async () => {
    await Promise.all(buses.map((b) => b.close().catch(() => {})));
  });

  it('ends with posteriors bit-identical to the in-process bus', async () => {
    const memory = await loopOn(createMemoryBus(), 'mem.');
    const kafkaBus = createKafkaBus({
      brokers: brokersFromEnv(),
      clientId: uniqueName('loop'),
      logLevel: testLogLevel(),
      consumerTiming: TEST_CONSUMER_SETTINGS,
    });
    buses.push(kafkaBus);
    const kafka = await loopOn(kafkaBus, `${uniqueName('loop')}.`);
    assert.equal(kafka.batches, BATCHES);
    assert.deepEqual(kafka.deadLetters, {});
    assert.equal(kafka.snapshots.length, memory.snapshots.length);
    kafka.snapshots.forEach((snap, k) => {
      const want = memory.snapshots[k]!;
      assert.equal(snap.rm, want.rm);
      assert.equal(snap.version, BATCHES - 1);
      assert.equal(snap.n, want.n);
      assert.ok(snap.precision.equals(want.precision), `${snap.rm}: precision`);
      assert.ok(snap.b.equals(want.b), `${snap.rm}: b`);
      assert.ok(snap.factor.equals(want.factor), `${snap.rm}: factor`);
    });
    assert.equal(kafka.accuracy, memory.accuracy);
  });
});
