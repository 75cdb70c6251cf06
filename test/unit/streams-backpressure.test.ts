// Backpressure: a producer dumps many generations at once and the scorers are slow; the router and the
// scorers pause their consumers at maxInFlight, so their in-flight records stay under maxInFlight plus
// one consumer batch, and everything is still routed in the end. Bounds only, never timings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { Generation } from '../../src/records/types.ts';
import type { AppContext, AppHandle } from '../../streams/runtime/context.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { startScorerApp } from '../../streams/scorer/scorer.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { waitFor } from '../helpers/kafka.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

describe('streams: backpressure', () => {
  it('keeps the router and scorers within maxInFlight + one batch under a flood', async () => {
    // Batches 1.. wait for posterior versions no store will write: each waits 1 ms, then takes the prior.
    const s = testSettings({ maxInFlight: 16, posteriorWaitMs: 1, sim: { config: { promptsPerBatch: 40 } } });
    const batchSize = s.maxInFlight / 2; // the apps' default consumer batch
    const codec = new SingleObjectCodec();
    const clock = counterClock();
    const bus = createMemoryBus({ clock });
    const ctx: AppContext = { bus, codec, clock, log: quietLog, settings: s };
    const apps: AppHandle[] = [];
    try {
      await createLoopTopics(bus, s);
      const scorers: AppHandle[] = [];
      for (const rm of s.arms) scorers.push(await startScorerApp(ctx, { rm, delayMs: 1 }));
      const router = await startRouterApp(ctx);
      apps.push(...scorers, router);
      const stream = simStream(s);
      const records = [0, 1, 2, 3].flatMap((t) =>
        stream.generateBatch(t).prompts.map((p) => {
          const g: Generation = {
            run: s.run,
            batch: t,
            promptId: p.promptId,
            category: p.category,
            sentAtMs: 0,
            pairs: p.pairs.map((x) => ({ pairId: x.pairId, responseA: 'a', responseB: 'b', embedding: Array.from(x.x) })),
          };
          return {
            topic: topicName(s.prefix, 'generations'),
            key: Buffer.from(recordKey('generations', g) as string),
            value: codec.encodeSync('generations', g),
          };
        }),
      );
      const producer = await bus.producer();
      await producer.send(records);
      const pairs = records.length * 6;
      await waitFor(() => router.stats().routed === pairs, { timeoutMs: 60_000, message: 'every pair routed' });
      await waitFor(() => scorers.reduce((n, a) => n + a.stats().scored!, 0) === pairs, {
        timeoutMs: 60_000,
        message: 'every pair scored',
      });
      const r = router.stats();
      // The gate was reached (the consumer paused), and batches 1–3 waited out their bound.
      assert.ok(r.maxInFlightSeen! >= s.maxInFlight, `router in flight ${r.maxInFlightSeen}`);
      assert.equal(r.timedOut, 3 * 40);
      assert.ok(r.maxInFlightSeen! <= s.maxInFlight + batchSize, `router in flight ${r.maxInFlightSeen}`);
      for (const a of scorers)
        assert.ok(a.stats().maxInFlightSeen! <= s.maxInFlight + batchSize, `${a.name} in flight ${a.stats().maxInFlightSeen}`);
      assert.equal(r.deadLettered, 0);
      assert.equal(r.inFlight, 0);
    } finally {
      for (const a of apps.reverse()) await a.close();
      await bus.close();
    }
  });
});
