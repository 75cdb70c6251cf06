// What-if on a simulated run (in-process bus): λ0 = 1 replayed over the recorded batches gives the
// routed-label accuracy the pure-core eval loop gives bayesian-router with λ0 = 1 for the same seed
// and settings, and method=linucb the accuracy eval gives `laser` (LinUCB); an empty what-if
// reproduces the record (distance 0); unknown keys and methods the stream router does not implement
// are refused. On a run recorded with shadow scoring, both methods' picks on the shadow pairs are
// compared with the pool's consensus, the recorded label and gold, counts checked against the simulator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { runLoop as evalLoop } from '../../src/eval/loop.ts';
import { buildMethods } from '../../src/eval/methods.ts';
import { embeddingsFor } from '../../src/core/prior.ts';
import { accuracyAt } from '../../src/eval/stats.ts';
import { applyWhatIf, formatWhatIf, parseWhatIf, whatIfRun } from '../../streams/replay/whatIf.ts';
import { selectModels } from '../../src/sim/profiles.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { onlineStreamFromWorld } from '../../src/sim/stream.ts';
import { SimTrainer } from '../../src/sim/trainer.ts';
import { buildWorld } from '../../src/sim/world.ts';
import type { LoopSettings } from '../../streams/runtime/context.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { shadowPicker } from '../../src/core/shadow.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { routedLabel } from '../../src/sim/labels.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const BATCHES = 8;

/** A method's routed-label accuracy in the pure-core eval loop for these settings. */
function evalAccuracy(s: LoopSettings, name = 'bayesian-router'): number {
  const world = buildWorld(selectModels(loadProfilesFile(s.sim!.profiles), s.arms), s.sim!.config, s.seed);
  const [method] = buildMethods({
    arms: s.arms,
    embeddings: embeddingsFor(s.prior, s.arms),
    seed: s.seed,
    run: s.run,
    posterior: s.posterior,
    lag: s.lag,
    only: [name],
  });
  const [trace] = evalLoop({
    stream: onlineStreamFromWorld(world),
    trainer: new SimTrainer(s.sim!.config.trainer, s.seed),
    methods: [method!],
    prior: s.prior,
    batches: BATCHES,
    tieEps: s.tieEps,
    keepPerPrompt: s.keepPerPrompt,
    seed: s.seed,
    run: s.run,
  });
  return accuracyAt(trace!, BATCHES);
}

describe('replay --what-if (in-process bus)', { timeout: 120_000 }, () => {
  it("λ0 = 1 and LinUCB give the eval loop's accuracies for the same settings; no change gives the record", async () => {
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    const s = testSettings({ prefix: 'rec.' });
    try {
      const loop = await runLoop({ bus, settings: s, batches: BATCHES, clock: counterClock(), log: quietLog, codec });
      const w = parseWhatIf(['lambda0=1']);
      const r = await whatIfRun({ bus, codec, settings: s, into: 'wif.', whatIf: w, clock: counterClock(), log: quietLog });
      assert.equal(r.recorded.accuracy, loop.accuracy);
      assert.equal(r.recorded.accuracy, evalAccuracy(s));
      assert.equal(r.replayed.accuracy, evalAccuracy(applyWhatIf(s, w)));
      assert.notEqual(r.replayed.accuracy, r.recorded.accuracy, 'λ0 = 1 routes differently');
      assert.equal(r.replayed.pairs, r.recorded.pairs);
      for (const side of [r.recorded, r.replayed]) assert.ok(Math.abs(side.shares.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      assert.ok(r.posteriorDistance.some((x) => x > 0));
      const text = formatWhatIf(r);
      assert.match(text, /what-if lambda0=1 over 8 batches/);
      assert.match(text, /routed-label accuracy/);
      assert.match(text, /final posterior means, Euclidean distance/);

      // LinUCB (the eval's `laser`: zero prior, λ0 = σ² = 1, α = 0.1, LASeR's rewards, seeded ties).
      const lin = await whatIfRun({
        bus,
        codec,
        settings: s,
        into: 'lin.',
        whatIf: parseWhatIf(['method=linucb']),
        clock: counterClock(),
        log: quietLog,
      });
      assert.equal(lin.replayed.accuracy, evalAccuracy(s, 'laser'));
      assert.notEqual(lin.replayed.accuracy, lin.recorded.accuracy);
      assert.match(formatWhatIf(lin), /what-if method=linucb over 8 batches/);
      const linDecision = await bus.readToEnd('lin.decisions');
      assert.equal(codec.decodeSync('decisions', linDecision[0]!.value!).method, 'linucb(alpha=0.1)');

      const same = await whatIfRun({ bus, codec, settings: s, into: 'same.', whatIf: {}, clock: counterClock(), log: quietLog });
      assert.equal(same.replayed.accuracy, same.recorded.accuracy);
      assert.deepEqual(same.replayed.shares, same.recorded.shares);
      assert.deepEqual(
        same.posteriorDistance,
        s.arms.map(() => 0),
      );
    } finally {
      await bus.close();
    }
  });

  it('on a run recorded with 10 % shadow scoring, compares both picks on the shadow pairs with consensus, label and gold', async () => {
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    const s = testSettings({ prefix: 'shrec.', shadow: { fraction: 0.1 } });
    try {
      await runLoop({ bus, settings: s, batches: BATCHES, clock: counterClock(), log: quietLog, codec });
      const lin = await whatIfRun({
        bus,
        codec,
        settings: s,
        into: 'shlin.',
        whatIf: parseWhatIf(['method=linucb']),
        clock: counterClock(),
        log: quietLog,
      });
      // The expected counts, from the simulator (not from the recorded scores): RM k's verdict on a pair
      // is its preferred side when its gap exceeds tieEps; consensus is the majority; gold is goldA.
      const picks = async (prefix: string) => {
        const m = new Map<string, number>();
        for (const r of await bus.readToEnd(`${prefix}decisions`))
          for (const d of pairDecisions(codec.decodeSync('decisions', r.value!))) m.set(d.pairId, d.chosen);
        return m;
      };
      const rec = await picks('shrec.'),
        wif = await picks('shlin.');
      const labels = new Map<string, string>();
      for (const r of await bus.readToEnd('shrec.labels'))
        for (const p of codec.decodeSync('labels', r.value!).pairs) labels.set(p.pairId, p.chosen);
      const isShadow = shadowPicker(s.seed, s.run, 0.1);
      const stream = simStream(s);
      const want = {
        pairs: 0,
        consensus: 0,
        labelled: 0,
        samePick: 0,
        recorded: { consensus: 0, label: 0, gold: 0 },
        whatIf: { consensus: 0, label: 0, gold: 0 },
      };
      for (let b = 0; b < BATCHES; b++) {
        for (const p of stream.generateBatch(b, { embeddings: false }).prompts.flatMap((x) => x.pairs)) {
          if (!isShadow(p.pairId)) continue;
          want.pairs++;
          const v = s.arms.map((_, k) => (p.gap[k]! > s.tieEps ? (routedLabel(p, k).prefersA ? 'A' : 'B') : null));
          const nA = v.filter((x) => x === 'A').length,
            nB = v.filter((x) => x === 'B').length;
          const cons = nA > nB ? 'A' : nB > nA ? 'B' : null;
          if (cons !== null) want.consensus++;
          if (labels.has(p.pairId)) want.labelled++;
          if (rec.get(p.pairId) === wif.get(p.pairId)) want.samePick++;
          for (const [side, arm] of [
            [want.recorded, rec.get(p.pairId)!],
            [want.whatIf, wif.get(p.pairId)!],
          ] as const) {
            const mine = v[arm];
            if (mine === null) continue;
            if (mine === cons) side.consensus++;
            if (mine === labels.get(p.pairId)) side.label++;
            if (mine === (p.goldA ? 'A' : 'B')) side.gold++;
          }
        }
      }
      const sh = lin.shadow;
      assert.equal(sh.pairs, 39); // 39 of 384 pairs (10.2 %) are shadow pairs for seed 3, run test/loop, 8 batches
      assert.deepEqual(
        {
          pairs: sh.pairs,
          consensus: sh.consensus,
          labelled: sh.labelled,
          samePick: sh.samePick,
          recorded: sh.recorded,
          whatIf: sh.whatIf,
        },
        want,
      );
      assert.equal(sh.gold, sh.pairs);
      assert.equal(sh.recorded.label, sh.labelled, "a label is its routed RM's verdict");
      assert.ok(sh.samePick < sh.pairs, 'LinUCB picks other RMs on some shadow pairs');
      const text = formatWhatIf(lin);
      assert.match(text, new RegExp(`shadow pairs \\(scored by every RM\\): ${sh.pairs};`));
      const pc = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}% \\(${n}\\)`;
      assert.match(
        text,
        new RegExp(
          `consensus \\(of ${sh.consensus}\\)\\s+${pc(sh.recorded.consensus, sh.consensus)}\\s+${pc(sh.whatIf.consensus, sh.consensus)}`,
        ),
      );
      assert.match(text, new RegExp(`gold \\(of ${sh.gold}\\)\\s+${pc(sh.recorded.gold!, sh.gold)}\\s+${pc(sh.whatIf.gold!, sh.gold)}`));

      // No change: the what-if picks what the record picked on every shadow pair.
      const same = await whatIfRun({ bus, codec, settings: s, into: 'shsame.', whatIf: {}, clock: counterClock(), log: quietLog });
      assert.equal(same.shadow.samePick, same.shadow.pairs);
      assert.deepEqual(same.shadow.whatIf, same.shadow.recorded);
      // A run without shadow scoring has no shadow pair, and says how to get them.
      const plain = testSettings({ prefix: 'plain.' });
      await runLoop({ bus, settings: plain, batches: 2, clock: counterClock(), log: quietLog, codec });
      const none = await whatIfRun({ bus, codec, settings: plain, into: 'plainw.', whatIf: {}, clock: counterClock(), log: quietLog });
      assert.equal(none.shadow.pairs, 0);
      assert.match(formatWhatIf(none), /shadow pairs: none \(record the run with shadow scoring/);
    } finally {
      await bus.close();
    }
  });

  it('refuses unknown keys, non-numbers and methods the stream router does not implement', () => {
    for (const bad of [['linucb=1'], ['lambda0=x'], ['method=laser-authors'], ['lambda0']]) {
      assert.throws(
        () => parseWhatIf(bad),
        (e: unknown) => isRouterError(e) && e.code === 'RR_INVALID_CONFIG',
        bad.join(' '),
      );
    }
    assert.throws(
      () => applyWhatIf(testSettings(), { lag: 0 }),
      (e: unknown) => isRouterError(e) && e.field === 'lag',
    );
    assert.throws(
      () => applyWhatIf(testSettings(), { alpha: 1 }),
      (e: unknown) => isRouterError(e) && e.code === 'RR_INVALID_CONFIG',
    );
    assert.deepEqual(parseWhatIf(['method=bayesian-router', 'sigma2=0.5', 'window=200', 'tieEps=0.1', 'lag=2']), {
      method: 'bayesian-router',
      sigma2: 0.5,
      window: 200,
      tieEps: 0.1,
      lag: 2,
    });
  });
});
