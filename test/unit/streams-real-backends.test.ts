// One loop, four RMs, four backends (in-process bus): an OpenRLHF server, a judge over a fake chat
// server, the demo tfjs model loaded from data/tfjs-rm, and the simulator. The loop finishes with
// no dead letter, every RM's Scores carry its model version, and the pool's counts add up.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { topicName } from '../../src/records/topics.ts';
import type { Score } from '../../src/records/types.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { buildSettings } from '../../streams/runtime/settings.ts';
import { simTrainerModule } from '../../streams/trainer/simulated.ts';
import { startTrainerApp } from '../../streams/trainer/trainer.ts';
import { chatAnswer, openrlhfAnswer, startFake } from '../helpers/fakeRm.ts';
import { startTei } from '../helpers/fakeTei.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

describe('a loop with http, judge, tfjs and sim RMs (in-process bus)', { timeout: 120_000 }, () => {
  it("finishes with no dead letter; Scores carry each backend's model version; counts add up", async () => {
    const rm = await startFake(openrlhfAnswer);
    const judge = await startFake(chatAnswer((a, b) => (a.length >= b.length ? '[[1]]' : '[[2]]')));
    servers.push(rm, judge);
    const arms = testSettings().arms;
    const s = testSettings({
      prefix: 'rb.',
      scorers: {
        [arms[0]!]: { backend: 'http', protocol: 'openrlhf', url: `${rm.url}/`, modelVersion: 'openrlhf-fake@1' },
        [arms[1]!]: { backend: 'judge', baseUrl: judge.url, model: 'judge-fake-1', order: 'both' },
        [arms[2]!]: { backend: 'tfjs', modelDir: new URL('../../data/tfjs-rm/', import.meta.url).pathname, tfBackend: 'wasm' },
      },
    });
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    try {
      const summary = await runLoop({ bus, settings: s, batches: 4, clock: counterClock(), log: quietLog, codec });
      assert.equal(summary.batches, 4);
      assert.deepEqual(summary.deadLetters, {});
      const versions = new Map<string, Set<string>>();
      let pairs = 0;
      for (const r of await bus.readToEnd(topicName(s.prefix, 'scores'))) {
        const sc = codec.decodeSync('scores', r.value!) as Score;
        versions.set(sc.rm, (versions.get(sc.rm) ?? new Set()).add(sc.modelVersion));
        pairs += sc.pairs.length;
        assert.ok(sc.pairs.every((p) => p.unscored === null && Number.isFinite(p.scoreA)));
      }
      assert.equal(pairs, summary.pairs, 'one score per routed pair');
      assert.deepEqual([...(versions.get(arms[0]!) ?? [])], ['openrlhf-fake@1']);
      assert.deepEqual([...(versions.get(arms[1]!) ?? [])], ['judge-fake-1']);
      assert.match([...(versions.get(arms[2]!) ?? [])][0] ?? 'not routed', /^tfjs-sha256:[0-9a-f]{16}$/);
      assert.deepEqual([...(versions.get(arms[3]!) ?? ['sim'])], ['sim']);
      const st = summary.stats[`scorer:${arms[1]}`]!;
      assert.equal(st.asked, 2 * st.scored, 'the judge asked both orders of every pair');
    } finally {
      await bus.close();
    }
  });
});

describe('a production loop: no simulator section at all (in-process bus)', { timeout: 120_000 }, () => {
  it("every RM on a real backend, the trainer outside the loop's settings: labels flow, no Score is simulated", async () => {
    const openrlhf = await startFake(openrlhfAnswer);
    const tei = await startTei(); // TEI as its router serves: /info, /predict, 413 above 32 inputs
    const judge = await startFake(chatAnswer((a, b) => (a.length >= b.length ? '[[1]]' : '[[2]]')));
    servers.push(openrlhf, tei, judge);
    const demo = testSettings({ prefix: 'prod.' });
    const arms = demo.arms;
    // The apps' settings: what `loop.json` of a deployment holds. No `sim`, a scorer for every RM.
    const s = buildSettings(
      {
        seed: demo.seed,
        run: 'test/prod',
        prefix: 'prod.',
        partitions: 3,
        posteriorWaitMs: 600_000,
        arms,
        scorers: {
          [arms[0]!]: { backend: 'http', protocol: 'openrlhf', url: `${openrlhf.url}/`, modelVersion: 'openrlhf-fake@1' },
          [arms[1]!]: { backend: 'http', protocol: 'tei', url: `${tei.url}/predict`, modelVersion: 'tei-fake@1' },
          [arms[2]!]: { backend: 'judge', baseUrl: judge.url, model: 'judge-fake-1', order: 'both' },
          [arms[3]!]: { backend: 'tfjs', modelDir: new URL('../../data/tfjs-rm/', import.meta.url).pathname, tfBackend: 'wasm' },
        },
      },
      demo.prior,
    );
    assert.equal(s.sim, undefined);
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    const clock = counterClock();
    try {
      // The user's trainer: here the simulated policy, built from its own settings, not the loop's.
      const trainer = simTrainerModule({ codec, clock, settings: { ...demo, run: s.run, prefix: s.prefix } });
      const summary = await runLoop({ bus, settings: s, batches: 3, clock, log: quietLog, codec, trainer });
      assert.equal(summary.batches, 3);
      assert.deepEqual(summary.deadLetters, {});
      assert.ok(Number.isNaN(summary.accuracy), 'without a simulator nobody knows which RM was right');
      assert.ok(summary.pairs > 0);
      let scored = 0;
      for (const r of await bus.readToEnd(topicName(s.prefix, 'scores'))) {
        const sc = codec.decodeSync('scores', r.value!) as Score;
        assert.notEqual(sc.modelVersion, 'sim');
        scored += sc.pairs.filter((p) => p.unscored === null).length;
      }
      assert.equal(scored, summary.pairs, 'every routed pair was scored by a real backend');
      for (const rm of arms) assert.equal(summary.stats[`scorer:${rm}`]!.simCalls, undefined, `${rm} was not simulated`);
    } finally {
      await bus.close();
    }
  });

  it('refuses a config without a simulator that leaves an RM without a backend, and a trainer app with nothing to drive', async () => {
    const demo = testSettings();
    const arms = demo.arms;
    assert.throws(
      () =>
        buildSettings({ arms, scorers: { [arms[0]!]: { backend: 'http', protocol: 'openrlhf', url: 'http://127.0.0.1:1/' } } }, demo.prior),
      (e: unknown) =>
        isRouterError(e, 'RR_INVALID_CONFIG') && /scorers/.test((e as Error).message) && (e as Error).message.includes(arms[1]!),
    );
    const prod = buildSettings(
      { arms, scorers: Object.fromEntries(arms.map((rm) => [rm, { backend: 'http', protocol: 'openrlhf', url: 'http://127.0.0.1:1/' }])) },
      demo.prior,
    );
    const bus = createMemoryBus();
    try {
      await assert.rejects(
        startTrainerApp({ bus, codec: new SingleObjectCodec(), clock: counterClock(), log: quietLog, settings: prod }),
        (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && (e as { field?: string }).field === 'sim',
      );
    } finally {
      await bus.close();
    }
  });
});
