// Crash test on the real broker: the aggregator and the store run as child processes; the aggregator
// SIGKILLs itself just before committing its 4th transaction, the store is SIGKILLed from outside
// mid-run; both restart and the run finishes. Every delta and every snapshot must then equal an
// uninterrupted in-process run bit for bit, each exactly once (versions step by 1 per RM).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { createMemoryBus } from '../../src/bus/memory/index.ts';
import type { Bus, BusRecord } from '../../src/bus/types.ts';
import { topicName } from '../../src/records/topics.ts';
import type { PosteriorSnapshot } from '../../src/records/types.ts';
import { startAggregatorApp } from '../../streams/aggregator/aggregator.ts';
import { restoreStore } from '../../streams/runtime/stateRestore.ts';
import { startStoreApp } from '../../streams/store/store.ts';
import { brokersFromEnv, collectRecords, testLogLevel, TEST_CONSUMER_SETTINGS, uniqueName, waitFor } from '../helpers/kafka.ts';
import { batchRecords, createStateTopics, makeContext, type FixtureSpec } from './fixtures/loop.ts';
import { readDeadLetters, readDeltas, readSnapshots, stateViews } from './fixtures/read.ts';
import { referenceState } from './fixtures/reference.ts';

const RUN_APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'runApp.ts');
const N = 24;
const spec: FixtureSpec = {
  run: 'run-1',
  prefix: `${uniqueName('crash')}.`,
  seed: 3,
  arms: ['rm-a', 'rm-b', 'rm-c'],
  d: 4,
  graceMs: 600_000,
  pairs: 12,
};
const LONG = { timeoutMs: 90_000, intervalMs: 200 };
const children = new Set<ChildProcess>();

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnApp(app: 'aggregator' | 'store', env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', RUN_APP, app], {
    env: { ...process.env, RR_SPEC: JSON.stringify(spec), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve();
    });
    proc.once('exit', (code, signal) => reject(new Error(`${app} exited before ready (${code ?? signal}): ${err}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    }),
  );
  return { proc, ready, exited };
}

const view = (x: PosteriorSnapshot): string =>
  `${x.rm} v${x.version} n${x.n} r${x.sinceRefresh} ${x.precision.toString('hex')} ${x.b.toString('hex')} ${x.factor.toString('hex')}`;

/** The uninterrupted run: both apps in one process on the in-process bus. */
async function uninterrupted(): Promise<{ deltas: string[]; snapshots: string[] }> {
  const bus = createMemoryBus();
  await createStateTopics(bus, spec);
  const ctx = makeContext(bus, spec);
  const agg = await startAggregatorApp(ctx);
  const store = await startStoreApp(ctx);
  const producer = await bus.producer();
  for (let t = 0; t < N; t++) await producer.send(await batchRecords(ctx, spec, t));
  await waitFor(() => store.state.version === N - 1, { message: 'reference run done' });
  const deltas = (await readDeltas(bus, ctx.codec, spec.prefix)).map((d) => `${d.value.batch}/${d.value.rm} ${d.bytes.toString('hex')}`);
  const snapshots = (await readSnapshots(bus, ctx.codec, spec.prefix)).map(view);
  await agg.close();
  await store.close();
  await bus.close();
  return { deltas: deltas.sort(), snapshots: snapshots.sort() };
}

describe('aggregator + store crash and restart on Kafka', { timeout: 420_000 }, () => {
  let bus: Bus;
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await bus?.close();
  });

  it(
    'SIGKILL mid-run and restart: posteriors bit-identical to an uninterrupted run, each delta applied once',
    { timeout: 400_000 },
    async () => {
      const reference = await uninterrupted();
      bus = createKafkaBus({
        brokers: brokersFromEnv(),
        clientId: uniqueName('crash-test'),
        logLevel: testLogLevel(),
        consumerTiming: TEST_CONSUMER_SETTINGS,
      });
      await createStateTopics(bus, spec, 2);
      const ctx = makeContext(bus, spec);
      const producer = await bus.producer();
      const produce = async (from: number, to: number): Promise<void> => {
        for (let t = from; t < to; t++) await producer.send(await batchRecords(ctx, spec, t));
      };
      const seen: BusRecord[] = [];
      await collectRecords(
        bus,
        { groupId: uniqueName('crash-watch'), topics: [topicName(spec.prefix, 'posteriors')], fromBeginning: true },
        async (b) => {
          seen.push(...b.records);
        },
      );

      const agg1 = spawnApp('aggregator', { RR_KILL_AT_COMMIT: '4' });
      const store1 = spawnApp('store');
      await Promise.all([agg1.ready, store1.ready]);
      await produce(0, 10);
      assert.equal((await agg1.exited).signal, 'SIGKILL', 'the aggregator died before its 4th commit');
      const agg2 = spawnApp('aggregator');
      await agg2.ready;
      await waitFor(() => seen.length >= 5 * spec.arms.length, { ...LONG, message: 'store wrote 5 batches of snapshots' });
      store1.proc.kill('SIGKILL');
      await store1.exited;
      await produce(10, 17);
      const store2 = spawnApp('store');
      await store2.ready;
      await produce(17, N);
      await waitFor(() => seen.length >= N * spec.arms.length, { ...LONG, message: `${N * spec.arms.length} snapshots` });
      agg2.proc.kill('SIGTERM');
      store2.proc.kill('SIGTERM');
      assert.equal((await agg2.exited).code, 0);
      assert.equal((await store2.exited).code, 0);

      const deltas = (await readDeltas(bus, ctx.codec, spec.prefix)).map(
        (d) => `${d.value.batch}/${d.value.rm} ${d.bytes.toString('hex')}`,
      );
      assert.deepEqual(deltas.sort(), reference.deltas, 'every (batch, rm) delta once, bit-identical');
      const snaps = await readSnapshots(bus, ctx.codec, spec.prefix);
      for (const rm of spec.arms) {
        assert.deepEqual(
          snaps.filter((x) => x.rm === rm).map((x) => x.version),
          Array.from({ length: N }, (_, t) => t),
          `${rm}: versions step by 1`,
        );
      }
      assert.deepEqual(snaps.map(view).sort(), reference.snapshots, 'every snapshot (n, matrices) as in the uninterrupted run');
      assert.deepEqual(stateViews(await restoreStore(bus, ctx.codec, ctx.settings)), stateViews(referenceState(spec, N)));
      assert.deepEqual(await readDeadLetters(bus, ctx.codec, spec.prefix), []);
    },
  );
});
