// SIGTERM while the app's JoinGroup is pending at the coordinator. A broker of its own with
// group.initial.rebalance.delay.ms = 4000 holds the first join of a new group for 4 s, so a SIGTERM
// 1.5 s after the app's `starting` line lands inside the join (the test checks the group is
// rebalancing then). The app must exit 0 and leave no member behind.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { startBroker } from '../../deploy/kafka/kafka.mjs';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { testLogLevel, uniqueName } from '../helpers/kafka.ts';
import { spawnRun, started, writeLoop, type AppProcess } from './fixtures/procLoop.ts';

describe('SIGTERM inside the group join', { timeout: 180_000 }, () => {
  let broker: Awaited<ReturnType<typeof startBroker>> | null = null;
  const procs: AppProcess[] = [];
  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    await broker?.stop();
  });

  it('exits 0 and leaves no member in the group', { timeout: 150_000 }, async () => {
    broker = await startBroker({ properties: { 'group.initial.rebalance.delay.ms': 4_000 } });
    const { config, settings } = await writeLoop({ prefix: `${uniqueName('joining')}.`, batches: 2 });
    const bus = createKafkaBus({ brokers: [broker.brokers], clientId: uniqueName('joining'), logLevel: testLogLevel() });
    await createLoopTopics(bus, settings);
    await bus.close();
    const admin = new kafkajs.Kafka({ brokers: [broker.brokers], clientId: uniqueName('joining-admin'), logLevel: testLogLevel() }).admin();
    await admin.connect();
    try {
      const group = `${settings.prefix}labeler`;
      const app = spawnRun('labeler', ['labeler', '--config', config, '--brokers', broker.brokers]);
      procs.push(app);
      await app.waitLine((l) => l.message === 'starting', 60_000, true);
      await new Promise((r) => setTimeout(r, 1_500));
      const state = (await admin.describeGroups([group])).groups[0]?.state;
      assert.ok(!app.lines.some(started), `not joined yet when the signal goes: ${state} ${JSON.stringify(app.lines)}`);
      assert.equal(state, 'PreparingRebalance', 'the coordinator is holding the join');
      const t0 = performance.now();
      app.proc.kill('SIGTERM');
      const { code } = await app.exited;
      const stopMs = Math.round(performance.now() - t0);
      assert.equal(code, 0, `exit 0; last log lines: ${JSON.stringify(app.lines.slice(-4))}`);
      const { groups } = await admin.describeGroups([group]);
      assert.deepEqual(
        groups[0]?.members.map((m) => m.memberId) ?? [],
        [],
        `no member left in the group (stopped in ${stopMs} ms; ${JSON.stringify(app.lines.slice(-3))})`,
      );
      console.log(`RELIABILITY sigterm-in-join ${JSON.stringify({ groupStateAtSigterm: state, stopMs })}`);
    } finally {
      await admin.disconnect();
    }
  });
});
