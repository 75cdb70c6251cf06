// App faults on the shared broker, each app its own process (`reward-router run <app>`):
//  1. SIGTERM at moments from connecting through the group join: exit 0 each time, no member left.
//  2. Scale-out: two routers and two scorers for one RM; one of each SIGKILLed mid-run and not
//     restarted, the labeler SIGKILLed and restarted (time from restart to the loop moving again is
//     printed, not asserted): the run ends bit-identical to the in-process bus and the counts add up.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { brokersFromEnv, kafkaConfig, testLogLevel, uniqueName, waitFor } from '../helpers/kafka.ts';
import { ARMS, assertBitIdenticalToReference, referenceRun, spawnRun, started, writeLoop, type AppProcess } from './fixtures/procLoop.ts';
import { tally } from './fixtures/tally.ts';

const brokers = (): string => brokersFromEnv().join(',');
const procs: AppProcess[] = [];
const track = (p: AppProcess): AppProcess => {
  procs.push(p);
  return p;
};

describe('app faults, each app its own process', { timeout: 400_000 }, () => {
  const admin = new kafkajs.Kafka(kafkaConfig(uniqueName('faults-admin'))).admin();
  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    await admin.disconnect();
  });

  it('SIGTERM during startup and the group join: exit 0, no member left behind', { timeout: 120_000 }, async () => {
    await admin.connect();
    const { config, settings } = await writeLoop({ prefix: `${uniqueName('join')}.`, batches: 2 });
    const bus = createKafkaBus({ brokers: brokersFromEnv(), clientId: uniqueName('join'), logLevel: testLogLevel() });
    await createLoopTopics(bus, settings);
    await bus.close();
    const group = `${settings.prefix}labeler`;
    const base = ['--config', config, '--brokers', brokers()];
    // SIGTERM at several moments after the app logs `starting`: connecting, restoring, sending its
    // JoinGroup, waiting for the assignment, just joined. It logs `started` only once joined, so each
    // case records where it was. Every one must exit 0 and leave no member in the group.
    const cases: { delayMs: number; stopMs: number; joined: boolean }[] = [];
    for (const delayMs of [0, 40, 80, 120, 160, 200, 1_000]) {
      const app = track(spawnRun(`labeler@${delayMs}`, ['labeler', ...base]));
      await app.waitLine((l) => l.message === 'starting', 60_000, true);
      await new Promise((r) => setTimeout(r, delayMs));
      const joined = app.lines.some(started);
      const t0 = performance.now();
      app.proc.kill('SIGTERM');
      const { code } = await app.exited;
      cases.push({ delayMs, stopMs: Math.round(performance.now() - t0), joined });
      assert.equal(code, 0, `SIGTERM ${delayMs} ms after starting exits 0; last log lines: ${JSON.stringify(app.lines.slice(-4))}`);
      const { groups } = await admin.describeGroups([group]);
      assert.deepEqual(groups[0]?.members.map((m) => m.clientId) ?? [], [], `no member left in the group (SIGTERM after ${delayMs} ms)`);
    }
    assert.ok(
      cases.some((c) => !c.joined),
      'at least one SIGTERM came before the join completed',
    );
    console.log(`RELIABILITY sigterm-join ${JSON.stringify(cases)}`);
  });

  it(
    'two routers and two scorers for one RM, one of each SIGKILLed; the labeler SIGKILLed and restarted: bit-identical',
    { timeout: 300_000 },
    async () => {
      const B = 10;
      const { config, settings } = await writeLoop({ prefix: `${uniqueName('scale')}.`, batches: B });
      const reference = await referenceRun(settings, B);
      const bus = createKafkaBus({ brokers: brokersFromEnv(), clientId: uniqueName('scale'), logLevel: testLogLevel() });
      try {
        await createLoopTopics(bus, settings);
        const base = ['--config', config, '--brokers', brokers()];
        const [rm0, rm1] = ARMS as [string, string];
        const apps = {
          store: spawnRun('store', ['store', ...base]),
          aggregator: spawnRun('aggregator', ['aggregator', ...base]),
          scorerA1: spawnRun('scorer-a1', ['scorer', '--rm', rm0, ...base]),
          scorerA2: spawnRun('scorer-a2', ['scorer', '--rm', rm0, ...base]),
          scorerB: spawnRun('scorer-b', ['scorer', '--rm', rm1, ...base]),
          labeler: spawnRun('labeler', ['labeler', ...base]),
          router1: spawnRun('router-1', ['router', '--instance', 'r1', ...base]),
          router2: spawnRun('router-2', ['router', '--instance', 'r2', ...base]),
        };
        Object.values(apps).forEach(track);
        await Promise.all(Object.values(apps).map((a) => a.waitLine(started, 120_000, true)));
        const trainer = track(spawnRun('trainer', ['trainer', '--batches', String(B), ...base]));
        const batchDone = (k: number) => (l: Record<string, unknown>) => l.message === 'batch done' && (l.batch as number) >= k;

        await trainer.waitLine(batchDone(2), 120_000, true);
        apps.router2.proc.kill('SIGKILL');
        apps.scorerA2.proc.kill('SIGKILL');
        await trainer.waitLine(batchDone(5), 120_000, true);
        apps.labeler.proc.kill('SIGKILL');
        await apps.labeler.exited;
        const restartedAt = performance.now();
        const labeler = track(spawnRun('labeler-2', ['labeler', ...base]));
        const done = trainer.lines.filter((l) => l.message === 'batch done').length;
        await trainer.waitLine(batchDone(done), 120_000, true);
        const restartToMovingMs = Math.round(performance.now() - restartedAt);
        assert.equal((await trainer.exited).code, 0);

        await assertBitIdenticalToReference(bus, settings, B, reference);
        const t = await tally(bus, settings);
        assert.equal(t.decided, t.pairsIn, 'pairs in = decisions');
        assert.equal(t.scored, t.decided, 'every decided pair scored and labelled');
        const survivors = [apps.store, apps.aggregator, apps.scorerA1, apps.scorerB, labeler, apps.router1];
        const peakMiB = Object.fromEntries(survivors.map((a) => [a.name, Math.round((a.peakRssKiB() ?? 0) / 1024)]));
        for (const a of survivors) a.proc.kill('SIGTERM');
        for (const a of survivors) assert.equal((await a.exited).code, 0, `${a.name} exits 0 on SIGTERM`);
        // The replica group of the router that closed is gone; the SIGKILLed one's has no offsets (no lag).
        const replicaGroups = (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => g.startsWith(`${settings.prefix}router-replica-`));
        assert.ok(!replicaGroups.includes(`${settings.prefix}router-replica-r1`), 'router r1 deleted its replica group');
        for (const g of replicaGroups)
          assert.deepEqual(
            (await admin.fetchOffsets({ groupId: g })).flatMap((x) => x.partitions.filter((p) => p.offset !== '-1')),
            [],
            `${g} holds no offsets`,
          );
        console.log(`RELIABILITY scale-out ${JSON.stringify({ batches: B, restartToMovingMs, peakMiB, ...t })}`);
      } finally {
        await bus.close();
      }
    },
  );
});

describe('standby aggregator and store', { timeout: 300_000 }, () => {
  after(() => {
    for (const p of procs) p.proc.kill('SIGKILL');
  });

  it('two of each, the lease holders SIGKILLed mid-run: the standbys take over, bit-identical', { timeout: 300_000 }, async () => {
    const B = 8;
    const { config, settings } = await writeLoop({ prefix: `${uniqueName('standby')}.`, batches: B });
    const reference = await referenceRun(settings, B);
    const bus = createKafkaBus({ brokers: brokersFromEnv(), clientId: uniqueName('standby'), logLevel: testLogLevel() });
    try {
      await createLoopTopics(bus, settings);
      const base = ['--config', config, '--brokers', brokers()];
      const pair = (app: 'aggregator' | 'store') => [1, 2].map((i) => track(spawnRun(`${app}-${i}`, [app, ...base])));
      const aggregators = pair('aggregator');
      const stores = pair('store');
      const others = [
        ...ARMS.map((rm, i) => track(spawnRun(`scorer-${i}`, ['scorer', '--rm', rm, ...base]))),
        track(spawnRun('labeler', ['labeler', ...base])),
        track(spawnRun('router', ['router', '--instance', 'r1', ...base])),
      ];
      const all = [...aggregators, ...stores, ...others];
      await Promise.all(all.map((a) => a.waitLine(started, 120_000, true)));
      const isActive = (l: Record<string, unknown>) => typeof l.message === 'string' && l.message.startsWith('active');
      const holder = async (two: AppProcess[]) => {
        await waitFor(() => two.filter((a) => a.lines.some(isActive)).length === 1, {
          timeoutMs: 60_000,
          message: 'exactly one lease holder',
        });
        return two.find((a) => a.lines.some(isActive))!;
      };
      const trainer = track(spawnRun('trainer', ['trainer', '--batches', String(B), ...base]));
      const batchDone = (k: number) => (l: Record<string, unknown>) => l.message === 'batch done' && (l.batch as number) >= k;
      await trainer.waitLine(batchDone(2), 120_000, true);
      const [agg, store] = [await holder(aggregators), await holder(stores)];
      agg.proc.kill('SIGKILL');
      store.proc.kill('SIGKILL');
      const t0 = performance.now();
      const standbyAgg = aggregators.find((a) => a !== agg)!;
      const standbyStore = stores.find((a) => a !== store)!;
      await Promise.all([standbyAgg.waitLine(isActive, 60_000), standbyStore.waitLine(isActive, 60_000)]);
      const takeoverMs = Math.round(performance.now() - t0);
      assert.equal((await trainer.exited).code, 0);

      await assertBitIdenticalToReference(bus, settings, B, reference);
      const t = await tally(bus, settings);
      assert.equal(t.decided, t.pairsIn);
      const survivors = [standbyAgg, standbyStore, ...others];
      for (const a of survivors) a.proc.kill('SIGTERM');
      for (const a of survivors) assert.equal((await a.exited).code, 0, `${a.name} exits 0 on SIGTERM`);
      console.log(`RELIABILITY standby ${JSON.stringify({ batches: B, takeoverMs, ...t })}`);
    } finally {
      await bus.close();
    }
  });
});
