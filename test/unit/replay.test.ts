// Replay on the in-process bus: a recorded run replays with every decision identical and the final
// posteriors bit-identical; a run whose recorded feedback had one loss changed diverges first at
// the first pair routed with the posterior that absorbed it. A run with shadow scoring replays identically.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { compareDecisions, runOrder } from '../../streams/replay/compare.ts';
import { readRecordedRun } from '../../streams/replay/recorded.ts';
import { replayRun, reproduced } from '../../streams/replay/run.ts';
import { formatTrace, tracePair } from '../../streams/replay/trace.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { copyRun } from '../helpers/replay.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const BATCHES = 6;

describe('replay (in-process bus)', { timeout: 120_000 }, () => {
  it('reproduces a recorded run, and finds the first divergence after one loss is changed', async () => {
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    const s = testSettings({ prefix: 'rec.' });
    try {
      const loop = await runLoop({ bus, settings: s, batches: BATCHES, clock: counterClock(), log: quietLog, codec });
      const progress: number[] = [];
      const r = await replayRun({
        bus,
        codec,
        settings: s,
        into: 'rep.',
        clock: counterClock(),
        log: quietLog,
        onProgress: (n) => progress.push(n),
      });
      assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
      assert.equal(r.comparison.compared, loop.pairs);
      assert.equal(r.comparison.identical, loop.pairs);
      assert.equal(r.comparison.first, null);
      assert.deepEqual(
        r.posteriors.map((p) => [p.recorded, p.identical]),
        s.arms.map(() => [true, true]),
      );
      r.snapshots.forEach((snap, k) =>
        assert.ok(snap.precision.equals(loop.snapshots[k]!.precision) && snap.b.equals(loop.snapshots[k]!.b)),
      );
      assert.deepEqual(r.deadLetters, {});
      assert.ok(reproduced(r));

      // trace: a kept pair has every field; a pair the labeler did not keep has no label, loss or reward; an unknown pair is refused.
      const labelled = new Set<string>();
      for (const r of await bus.readToEnd('rec.labels')) for (const p of codec.decodeSync('labels', r.value!).pairs) labelled.add(p.pairId);
      const recAll = await readRecordedRun(bus, codec, s.prefix, s.run);
      const keptId = [...labelled][0]!;
      const kept = await tracePair(bus, codec, s.prefix, keptId);
      for (const [k, v] of Object.entries(kept)) if (k !== 'traceId') assert.notEqual(v, null, k);
      assert.equal(kept.traceId, null, 'no trace id: the run was not traced');
      assert.equal(kept.absorbedInVersion, kept.batch);
      assert.match(formatTrace(kept), new RegExp(`absorbed by .*posterior version ${kept.batch}`));
      const droppedId = [...recAll.decisions.keys()].find((p) => !labelled.has(p))!;
      const dropped = await tracePair(bus, codec, s.prefix, droppedId);
      assert.deepEqual([dropped.label, dropped.loss, dropped.reward, dropped.absorbedInVersion], [null, null, null, null]);
      assert.ok(dropped.scores !== null, 'scored even when not kept');
      assert.match(formatTrace(dropped), /label: not kept/);
      await assert.rejects(tracePair(bus, codec, s.prefix, 'no-such-pair'), (e: unknown) => isRouterError(e) && e.code === 'RR_REPLAY');

      // A later range restores batches 0..2 from the record and replays 3..5 identically.
      const part = await replayRun({ bus, codec, settings: s, into: 'part.', from: 3, to: 5, clock: counterClock(), log: quietLog });
      assert.equal(part.comparison.first, null);
      assert.ok(part.comparison.compared > 0 && part.comparison.identical === part.comparison.compared);
      assert.ok(reproduced(part));

      // Corrupt one LOSS of batch 2 (in a copy: the record is never written to).
      const rec = await readRecordedRun(bus, codec, s.prefix, s.run);
      const loss = rec.feedback.get(2)!.find((f) => f.value.kind === 'LOSS')!.value;
      await copyRun(bus, codec, s, 'bad.', { pairId: loss.pairId!, loss: loss.loss! + 1 });
      const bad = await replayRun({ bus, codec, settings: { ...s, prefix: 'bad.' }, into: 'rep2.', clock: counterClock(), log: quietLog });
      const firstOfBatch3 = runOrder(
        rec.order,
        [...rec.decisions.values()].filter((d) => d.batch === 2 + s.lag).map((d) => d.pairId),
      )[0];
      assert.ok(bad.comparison.first !== null);
      assert.equal(bad.comparison.first.batch, 2 + s.lag);
      assert.equal(bad.comparison.first.pairId, firstOfBatch3);
      const before = [...rec.decisions.values()].filter((d) => d.batch <= 2).length;
      assert.ok(bad.comparison.identical >= before);
      const side = bad.comparison.first.recorded.arms.find((a) => a.rm === rec.decisions.get(loss.pairId!)!.chosenRm)!;
      const other = bad.comparison.first.replayed!.arms.find((a) => a.rm === side.rm)!;
      assert.notEqual(side.mean, other.mean); // the RM that absorbed the changed loss moved
      assert.ok(!reproduced(bad));
      assert.ok(bad.posteriors.some((p) => !p.identical));

      // The recorded namespace cannot be the target, and a used one is refused.
      await assert.rejects(
        replayRun({ bus, codec, settings: s, into: 'rec.', clock: counterClock(), log: quietLog }),
        (e: unknown) => isRouterError(e) && e.code === 'RR_REPLAY',
      );
      await assert.rejects(
        replayRun({ bus, codec, settings: s, into: 'rep.', clock: counterClock(), log: quietLog }),
        (e: unknown) => isRouterError(e) && e.code === 'RR_REPLAY',
      );
      await assert.rejects(
        replayRun({ bus, codec, settings: s, into: 'x.', from: 2, to: 99, clock: counterClock(), log: quietLog }),
        (e: unknown) => isRouterError(e) && e.code === 'RR_REPLAY',
      );
    } finally {
      await bus.close();
    }
  });

  it('a run recorded with 10 % shadow scoring replays identically; its audit requests are answered from the recorded audit scores; trace shows them', async () => {
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    const s = testSettings({ prefix: 'srec.', shadow: { fraction: 0.1 } });
    try {
      const loop = await runLoop({ bus, settings: s, batches: BATCHES, clock: counterClock(), log: quietLog, codec });
      const r = await replayRun({ bus, codec, settings: s, into: 'srep.', clock: counterClock(), log: quietLog });
      assert.equal(r.comparison.identical, loop.pairs);
      assert.deepEqual(
        r.posteriors.map((p) => [p.recorded, p.identical]),
        s.arms.map(() => [true, true]),
      );
      assert.deepEqual(r.deadLetters, {}, 'every audit request found its recorded score (no UNKNOWN_PAIR)');
      assert.ok(reproduced(r));
      // The replay's audit scores are the recorded ones, RM by RM and pair by pair.
      const audit = async (prefix: string) => {
        const out: string[] = [];
        for (const x of await bus.readToEnd(`${prefix}scores`)) {
          const sc = codec.decodeSync('scores', x.value!);
          if (sc.audit) for (const p of sc.pairs) out.push(`${sc.rm}|${p.pairId}|${p.scoreA}|${p.scoreB}`);
        }
        return out.sort();
      };
      const recorded = await audit('srec.');
      assert.ok(recorded.length > 0);
      assert.deepEqual(await audit('srep.'), recorded);
      // trace: a shadow pair lists the other RMs' audit scores, a routed-only pair none.
      const shadowId = recorded[0]!.split('|')[1]!;
      const tr = await tracePair(bus, codec, s.prefix, shadowId);
      assert.deepEqual(
        tr.audit.map((a) => a.rm),
        s.arms.filter((rm) => rm !== tr.chosenRm),
      );
      assert.ok(tr.scores !== null && tr.audit.every((a) => a.unscored === null && Number.isFinite(a.scoreA)));
      assert.match(formatTrace(tr), /audit scores \(a shadow pair: recorded, never labelled\):/);
      const rec = await readRecordedRun(bus, codec, s.prefix, s.run);
      const plainId = [...rec.decisions.keys()].find((id) => !recorded.some((x) => x.includes(`|${id}|`)))!;
      assert.deepEqual((await tracePair(bus, codec, s.prefix, plainId)).audit, []);
    } finally {
      await bus.close();
    }
  });

  it('compareDecisions tells -0 from 0 and names a missing pair', () => {
    const d = {
      run: 'r',
      batch: 0,
      promptId: 'p',
      pairId: 'a',
      method: 'm',
      seed: 1,
      posteriorVersion: -1,
      context: [0],
      arms: ['x'],
      chosen: 0,
      chosenRm: 'x',
      means: [0],
      stds: [1],
      samples: [0],
      decidedAtMs: 0,
    };
    const order = new Map([
      ['a', { batch: 0, promptId: 'p', index: 0 }],
      ['b', { batch: 0, promptId: 'p', index: 1 }],
    ]);
    const c = compareDecisions(
      new Map([
        ['a', d],
        ['b', { ...d, pairId: 'b' }],
      ]),
      new Map([['a', { ...d, means: [-0] }]]),
      order,
    );
    assert.equal(c.identical, 0);
    assert.deepEqual(c.first!.fields, ['means']);
    assert.equal(c.divergent, 2);
  });
});
