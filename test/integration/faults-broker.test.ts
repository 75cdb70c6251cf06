// The broker stopped mid-run and started again on the same data dir and port, in 3 runs, each at a
// moment drawn from a seeded RNG, while the loop runs as separate processes (`reward-router run
// <app>`, one per app). Every app rides the outage out under its supervisor; every run ends with
// every delta and the final posteriors bit-identical to the same loop on the in-process bus, and the
// counts add up. RR_FAULT_SEED, RR_OUTAGE_RUNS, RR_OUTAGES_PER_RUN, RR_OUTAGE_BATCHES vary it.
// Prints the figures of docs/RELIABILITY.md (a line starting `RELIABILITY`); asserts none of them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startBroker } from '../../deploy/kafka/kafka.mjs';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { testLogLevel, uniqueName } from '../helpers/kafka.ts';
import {
  assertBitIdenticalToReference,
  referenceRun,
  spawnLoopApps,
  spawnRun,
  started,
  writeLoop,
  type AppProcess,
} from './fixtures/procLoop.ts';
import { tally } from './fixtures/tally.ts';

const BATCHES = Number(process.env.RR_OUTAGE_BATCHES ?? 8);
/** Runs, each a fresh loop (own topic namespace) on the same broker and data dir. */
const RUNS = Number(process.env.RR_OUTAGE_RUNS ?? 3);
/** Outages per run, at distinct seeded moments (RR_OUTAGE_RUNS=1 RR_OUTAGES_PER_RUN=3: three in one run). */
const PER_RUN = Number(process.env.RR_OUTAGES_PER_RUN ?? 1);
const OUTAGE_MS = 4_000;
const SEED = Number(process.env.RR_FAULT_SEED ?? 6);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` distinct batches in [1, batches − 2], sorted: after which batch the broker goes down. */
export function drawMoments(seed: number, n: number, batches: number): number[] {
  if (n > batches - 2) throw new RangeError(`${n} distinct moments do not fit in batches 1..${batches - 2}`);
  const rng = new CounterRng(seed, 'faults/broker-outage');
  const picked = new Set<number>();
  for (let i = 0; picked.size < n; i++) picked.add(1 + Math.floor(rng.uniform(i, 0, 0, 0) * (batches - 2)));
  return [...picked].sort((a, b) => a - b);
}

const newBus = (brokers: string): Bus => createKafkaBus({ brokers: [brokers], clientId: uniqueName('faults'), logLevel: testLogLevel() });

describe('broker outages under a multi-process loop', { timeout: 600_000 }, () => {
  const procs: AppProcess[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'rr-faults-broker-'));
  let broker: Awaited<ReturnType<typeof startBroker>> | null = null;
  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // One seeded draw of RUNS × PER_RUN distinct moments (batches in [1, BATCHES − 2]), dealt out to the runs.
  const drawn = drawMoments(SEED, RUNS * PER_RUN, BATCHES);
  const plan = Array.from({ length: RUNS }, (_, run) => drawn.slice(run * PER_RUN, (run + 1) * PER_RUN).sort((a, b) => a - b));

  for (const [run, moments] of plan.entries()) {
    it(
      `run ${run + 1}/${RUNS}: broker down ${OUTAGE_MS} ms after batch ${moments.join(', ')}: bit-identical posteriors, every count adds up`,
      { timeout: 300_000 },
      async () => {
        broker ??= await startBroker({ dir });
        const brokers = broker.brokers;
        const { config, settings } = await writeLoop({ prefix: `${uniqueName('outage')}.`, batches: BATCHES });
        const reference = await referenceRun(settings, BATCHES);
        const admin = newBus(brokers);
        await createLoopTopics(admin, settings);
        await admin.close();

        const apps = spawnLoopApps(config, brokers, settings);
        procs.push(...apps);
        await Promise.all(apps.map((a) => a.waitLine(started, 120_000, true)));
        const trainer = spawnRun('trainer', ['trainer', '--batches', String(BATCHES), '--config', config, '--brokers', brokers]);
        procs.push(trainer);
        const batchDone = (k: number) => (l: Record<string, unknown>) => l.message === 'batch done' && (l.batch as number) >= k;
        const recoveries: number[] = [];
        for (const k of moments) {
          await trainer.waitLine(batchDone(k), 180_000, true);
          await broker.stop();
          await sleep(OUTAGE_MS);
          broker = await startBroker({ dir });
          assert.equal(broker.brokers, brokers, 'same port after the restart');
          const back = performance.now();
          await trainer.waitLine(batchDone(k + 1), 180_000, true);
          recoveries.push(Math.round(performance.now() - back));
        }
        assert.equal((await trainer.exited).code, 0, 'the trainer finished every batch');

        const bus = newBus(brokers);
        try {
          await assertBitIdenticalToReference(bus, settings, BATCHES, reference);
          const t = await tally(bus, settings);
          assert.equal(t.pairsIn, BATCHES * 8 * 6);
          assert.equal(t.decided, t.pairsIn, 'pairs in = decisions');
          assert.equal(t.scored + t.deadLettered, t.decided, 'decisions = labelled + dead-lettered');
          assert.equal(t.deltas, BATCHES * settings.arms.length);
          const restarts = Object.fromEntries(apps.map((a) => [a.name, a.lines.filter(started).length - 1]));
          const peakMiB = Object.fromEntries(apps.map((a) => [a.name, Math.round((a.peakRssKiB() ?? 0) / 1024)]));
          for (const a of apps) a.proc.kill('SIGTERM');
          const codes = await Promise.all(apps.map((a) => a.exited));
          for (const [i, c] of codes.entries()) assert.equal(c.code, 0, `${apps[i]!.name} exited 0 on SIGTERM`);
          console.log(
            `RELIABILITY broker-outage ${JSON.stringify({ seed: SEED, run, batches: BATCHES, moments, outageMs: OUTAGE_MS, recoveryMs: recoveries, restarts, peakMiB, ...t })}`,
          );
        } finally {
          await bus.close();
        }
      },
    );
  }
});
