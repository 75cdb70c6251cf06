// Backpressure helpers (src/bus/flow.ts) on the in-process bus: the consumer pauses while too many
// records are in flight, and in-flight work stays bounded however much is waiting in the topic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consumeBatches, InFlightGate } from '../../src/bus/flow.ts';
import type { AckableBatch } from '../../src/bus/flow.ts';
import { createMemoryBus } from '../../src/bus/memory/index.ts';
import { waitFor } from '../helpers/kafka.ts';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('bus flow control', () => {
  it('InFlightGate pauses at the bound and resumes only a pause it made', () => {
    const calls: string[] = [];
    const consumer = {
      paused: false,
      pause() {
        this.paused = true;
        calls.push('pause');
      },
      resume() {
        this.paused = false;
        calls.push('resume');
      },
    };
    const gate = new InFlightGate(consumer, 3);
    gate.acquire(2);
    assert.deepEqual(calls, []);
    gate.acquire(1);
    assert.deepEqual(calls, ['pause']);
    gate.release(3);
    assert.deepEqual(calls, ['pause', 'resume']);
    consumer.pause(); // the caller's own pause
    gate.acquire(5);
    gate.release(5);
    assert.equal(consumer.paused, true);
    assert.throws(() => new InFlightGate(consumer, 0), RangeError);
  });

  it('consumeBatches keeps un-acked records under maxInFlight and drains after acks', async () => {
    const bus = createMemoryBus();
    await bus.createTopics([{ name: 'gen', partitions: 2 }]);
    const producer = await bus.producer();
    await producer.send(Array.from({ length: 100 }, (_, i) => ({ topic: 'gen', key: Buffer.from(`k${i}`), value: null })));
    const consumer = await bus.consumer({ groupId: 'router', topics: ['gen'], fromBeginning: true, autoCommit: false, maxBatchSize: 4 });
    const held: AckableBatch[] = [];
    let seen = 0;
    let maxHeld = 0;
    const sub = consumeBatches(consumer, { maxInFlight: 10 }).subscribe((batch) => {
      held.push(batch);
      seen += batch.records.length;
      maxHeld = Math.max(
        maxHeld,
        held.reduce((n, b) => n + b.records.length, 0),
      );
    });
    await settle();
    // Paused at ≥ 10 in flight: at most one batch (4) past the bound, nothing more however long we wait.
    assert.ok(seen >= 10 && seen < 14, `in flight after the first burst: ${seen}`);
    assert.equal(consumer.paused, true);
    while (seen < 100) {
      held.splice(0).forEach((b) => b.ack());
      await waitFor(() => seen === 100 || consumer.paused, { timeoutMs: 2_000, message: 'the next burst' });
    }
    assert.ok(maxHeld < 14, `never more than maxInFlight + one batch held: ${maxHeld}`);
    sub.unsubscribe();
    assert.equal(consumer.paused, true, 'unsubscribing pauses');
    await bus.close();
  });
});
