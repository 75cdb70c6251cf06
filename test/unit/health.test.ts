// Health and metrics of an app (src/health/): /readyz answers 503 while the store restores its state and
// 200 once it has; /metrics shows records in and out, dead letters by reason, lag, the record (decision)
// latency and the posterior version per RM, here for a whole loop and a router fed a bad pair.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { startAppHealth } from '../../src/health/index.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { Generation } from '../../src/records/types.ts';
import type { AppContext } from '../../streams/runtime/context.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { startStoreApp } from '../../streams/store/store.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { waitFor } from '../helpers/kafka.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const codec = new SingleObjectCodec();
const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};
/** The value of one sample line `name{labels} value` of a Prometheus text page, or undefined. */
const sample = (page: string, name: string, labels: string): number | undefined => {
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('health: /healthz, /readyz, /metrics', () => {
  it('/readyz is 503 while the store restores its state and 200 once it has', async () => {
    const s = testSettings({ prefix: 'h1.' });
    const clock = counterClock();
    const memory = createMemoryBus({ clock });
    await createLoopTopics(memory, s);
    // The store's restore reads its topics to the end; hold those reads until the test lets them go.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let restoreReads = 0;
    const gated: Bus = {
      ...memory,
      readToEnd: async (topic, o) => {
        restoreReads++;
        await gate;
        return memory.readToEnd(topic, o);
      },
    };
    const health = await startAppHealth({ app: 'store', bus: gated, codec, prefix: s.prefix, port: 0, maxLag: 0, processMetrics: false });
    try {
      const ctx: AppContext = { bus: health.bus, codec, clock, log: quietLog, settings: s };
      const starting = startStoreApp(ctx);
      await waitFor(async () => restoreReads > 0, { message: 'the store starts its restore' });
      const before = await get(health.server.port, '/readyz');
      assert.equal(before.status, 503);
      const state = JSON.parse(before.body) as { ready: boolean; started: boolean; reasons: string[] };
      assert.equal(state.ready, false);
      assert.equal(state.started, false);
      assert.equal((await get(health.server.port, '/healthz')).status, 200);
      release();
      const store = await starting;
      health.readiness.markStarted(() => store.stats());
      const after = await get(health.server.port, '/readyz');
      assert.equal(after.status, 200, after.body);
      assert.equal((JSON.parse(after.body) as { ready: boolean }).ready, true);
      await store.close();
      health.readiness.markStopped();
      assert.equal((await get(health.server.port, '/readyz')).status, 503);
    } finally {
      await health.close();
      await memory.close();
    }
  });

  it('/metrics of a whole loop: records in and out, latency, posterior version per RM, lag', async () => {
    const s = testSettings({ prefix: 'h2.' });
    const clock = counterClock();
    const memory = createMemoryBus({ clock });
    const health = await startAppHealth({ app: 'loop', bus: memory, codec, prefix: s.prefix, port: 0, maxLag: 0, processMetrics: false });
    try {
      await runLoop({ bus: health.bus, settings: s, batches: 3, clock, log: quietLog });
      const page = (await get(health.server.port, '/metrics')).body;
      const gens = topicName(s.prefix, 'generations');
      assert.equal(sample(page, 'rr_records_in_total', `topic="${gens}"`), 3 * 8, 'every generation read once by the router');
      assert.equal(
        sample(page, 'rr_records_out_total', `topic="${topicName(s.prefix, 'decisions')}"`),
        3 * 8,
        'one Decision record per prompt (Decision v2)',
      );
      for (const rm of s.arms) assert.equal(sample(page, 'rr_posterior_version', `rm="${rm}"`), 2, rm);
      assert.ok((sample(page, 'rr_record_latency_seconds_count', 'app="loop"') ?? 0) > 0);
      assert.equal(sample(page, 'rr_consumer_lag', `topic="${gens}"`), 0);
    } finally {
      await health.close();
      await memory.close();
    }
  });

  it('/metrics counts dead letters by reason', async () => {
    const s = testSettings({ prefix: 'h3.' });
    const clock = counterClock();
    const memory = createMemoryBus({ clock });
    await createLoopTopics(memory, s);
    const health = await startAppHealth({ app: 'router', bus: memory, codec, prefix: s.prefix, port: 0, maxLag: 0, processMetrics: false });
    const router = await startRouterApp({ bus: health.bus, codec, clock, log: quietLog, settings: s });
    health.readiness.markStarted(() => router.stats());
    try {
      const p = simStream(s).generateBatch(0).prompts[0]!;
      const g: Generation = {
        run: s.run,
        batch: 0,
        promptId: p.promptId,
        category: null,
        sentAtMs: 0,
        pairs: [{ pairId: p.pairs[0]!.pairId, responseA: 'a', responseB: 'b', embedding: [1, 2, 3] }],
      };
      const producer = await memory.producer();
      await producer.send([
        {
          topic: topicName(s.prefix, 'generations'),
          key: Buffer.from(recordKey('generations', g) as string),
          value: codec.encodeSync('generations', g),
        },
      ]);
      await waitFor(async () => (await memory.readToEnd(topicName(s.prefix, 'dlq'))).length === 1, { message: 'the dead letter' });
      await waitFor(
        async () => sample((await get(health.server.port, '/metrics')).body, 'rr_dead_letters_total', 'reason="WRONG_VECTOR_LENGTH"') === 1,
        { message: 'the metric' },
      );
      const page = (await get(health.server.port, '/metrics')).body;
      assert.equal(sample(page, 'rr_app_stat', 'name="deadLettered"'), 1);
    } finally {
      await router.close();
      await health.close();
      await memory.close();
    }
  });
});
