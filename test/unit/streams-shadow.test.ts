// Shadow scoring (settings.shadow, src/core/shadow.ts, src/operators/addAuditRequests.ts): a seeded
// 10 % of pairs is also scored by every other RM as audit requests. The labels topic is byte-identical
// to the same run with shadow scoring off (no label uses an audit score; compared batch by batch), the
// decisions topic is byte-identical, the final posteriors are bit-identical, and every
// shadow pair has a score from every RM. The labeler never lets an audit score (unscored or not)
// complete a prompt or reach a label; a bad fraction is a typed error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { shadowPicker } from '../../src/core/shadow.ts';
import { parseShadowFraction } from '../../src/cli/options.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { Score } from '../../src/records/types.ts';
import type { AppContext, LoopSettings } from '../../streams/runtime/context.ts';
import { startLabelerApp } from '../../streams/labeler/labeler.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { waitFor } from '../helpers/kafka.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const BATCHES = 10;
const codec = new SingleObjectCodec();

async function loopOnce(s: LoopSettings) {
  // A clock that stands still: every record's clock field (decidedAtMs…) reads 0, so the two runs'
  // records can be compared byte for byte (a counter clock would tick with the audit traffic).
  const clock = { now: () => 0 };
  const bus = createMemoryBus({ clock });
  try {
    const summary = await runLoop({ bus, settings: s, batches: BATCHES, clock, log: quietLog, codec });
    const read = async (base: 'decisions' | 'labels' | 'scores' | 'dlq') =>
      (await bus.readToEnd(topicName(s.prefix, base))).map((r) => r.value!);
    return {
      summary,
      decisions: await read('decisions'),
      labels: await read('labels'),
      scores: await read('scores'),
      dlq: await read('dlq'),
    };
  } finally {
    await bus.close();
  }
}

describe('shadow scoring', () => {
  it('at 10 %: every shadow pair is scored by every RM; labels, routing and posteriors are those of the run without it', async () => {
    const off = await loopOnce(testSettings());
    const s = testSettings({ shadow: { fraction: 0.1 } });
    const on = await loopOnce(s);

    // No label uses an audit score: every label record is the same bytes as without shadow scoring,
    // batch by batch. (Their order within a batch follows which prompt's scores complete first: scorer
    // timing, which the audit requests change; so the topic is compared per batch as a set of records.)
    assert.equal(on.labels.length, BATCHES * 8);
    const perBatch = (bs: Buffer[]) => bs.map((b) => `${codec.decodeSync('labels', b).batch}:${b.toString('hex')}`).sort();
    assert.deepEqual(perBatch(on.labels), perBatch(off.labels));
    // Routing is untouched (the shadow draw has its own key and stream): the decisions topic is the
    // same bytes, record for record, in the same order.
    assert.equal(on.decisions.length, off.decisions.length);
    on.decisions.forEach((d, i) => assert.ok(d.equals(off.decisions[i]!), `decision record ${i} differs`));
    on.summary.snapshots.forEach((snap, k) => {
      const o = off.summary.snapshots[k]!;
      assert.ok(
        snap.version === o.version &&
          snap.n === o.n &&
          snap.precision.equals(o.precision) &&
          snap.b.equals(o.b) &&
          snap.factor.equals(o.factor),
        `${snap.rm}: posterior`,
      );
    });
    assert.equal(on.summary.accuracy, off.summary.accuracy);
    assert.deepEqual(on.summary.deadLetters, {});

    // Which pairs are shadow: the seeded draw, about 10 % (a fixed count for this seed).
    const chosen = new Map<string, string>();
    for (const b of on.decisions) for (const d of pairDecisions(codec.decodeSync('decisions', b))) chosen.set(d.pairId, d.chosenRm);
    assert.equal(chosen.size, BATCHES * 8 * 6);
    const isShadow = shadowPicker(s.seed, s.run, 0.1);
    const shadow = [...chosen.keys()].filter(isShadow);
    assert.equal(shadow.length, 49); // 49 of 480 = 10.2 % for seed 3, run test/loop
    // Scores by pair: the routed one (audit false) from the chosen RM, audit ones from every other RM.
    const byPair = new Map<string, { rm: string; audit: boolean }[]>();
    for (const b of on.scores) {
      const sc = codec.decodeSync('scores', b);
      for (const p of sc.pairs) {
        assert.equal(p.unscored, null);
        byPair.set(p.pairId, [...(byPair.get(p.pairId) ?? []), { rm: sc.rm, audit: sc.audit === true }]);
      }
    }
    for (const [pairId, rm] of chosen) {
      const got = byPair.get(pairId) ?? [];
      assert.deepEqual(
        got.filter((x) => !x.audit).map((x) => x.rm),
        [rm],
        `${pairId}: one routed score, from its chosen RM`,
      );
      const audit = got
        .filter((x) => x.audit)
        .map((x) => x.rm)
        .sort();
      assert.deepEqual(audit, isShadow(pairId) ? s.arms.filter((a) => a !== rm).sort() : [], `${pairId}: audit scores`);
    }
    const K = s.arms.length;
    assert.equal(on.summary.stats.labeler!.auditPairs, shadow.length * (K - 1));
    assert.equal(on.summary.stats.labeler!.auditScores, on.summary.stats.router!.auditRequests);
    assert.equal(off.summary.stats.router!.auditRequests, 0);
    assert.equal(on.scores.length - off.scores.length, on.summary.stats.router!.auditRequests);
  });

  it('the labeler skips audit scores: an audit score first, or an unscored one, never completes a prompt nor changes its label', async () => {
    const clock = counterClock();
    const bus = createMemoryBus({ clock });
    const settings = testSettings({ prefix: 'sh.' });
    const ctx: AppContext = { bus, codec, clock, log: quietLog, settings };
    await createLoopTopics(bus, settings);
    const producer = await bus.producer();
    const [a, b] = settings.arms;
    const score = (promptId: string, rm: string, pairs: [number, number][], audit: boolean, unscored = false): Score => ({
      run: settings.run,
      batch: 0,
      promptId,
      rm,
      modelVersion: 'test',
      latencyMs: 1,
      promptPairs: 2,
      audit,
      pairs: pairs.map(([index, gap]) => ({
        pairId: `${promptId}/${index}`,
        index,
        scoreA: unscored ? NaN : gap / 2,
        scoreB: unscored ? NaN : -gap / 2,
        unscored: unscored ? 'RM_UNAVAILABLE' : null,
      })),
    });
    const send = async (sc: Score) =>
      producer.send([
        {
          topic: topicName(settings.prefix, 'scores'),
          key: Buffer.from(recordKey('scores', sc) as string),
          value: await codec.encode('scores', sc),
        },
      ]);
    const labels = async () =>
      Promise.all((await bus.readToEnd(topicName(settings.prefix, 'labels'))).map((r) => codec.decode('labels', r.value!)));
    const labeler = await startLabelerApp(ctx);
    try {
      // Audit scores of both pairs (the opposite verdicts, and one unscored) arrive before any routed one.
      await send(
        score(
          'p',
          b!,
          [
            [0, -2],
            [1, -2],
          ],
          true,
        ),
      );
      await send(score('p', b!, [[1, 0]], true, true));
      await waitFor(() => labeler.stats().auditScores === 2, { timeoutMs: 5_000, intervalMs: 10, message: 'audit scores read' });
      assert.equal(labeler.stats().openPrompts, 0, 'an audit score opens no prompt');
      assert.equal((await labels()).length, 0);
      await send(
        score(
          'p',
          a!,
          [
            [0, 2],
            [1, 2],
          ],
          false,
        ),
      );
      await waitFor(async () => (await labels()).length === 1, { timeoutMs: 5_000, intervalMs: 10, message: 'p labelled' });
      const [l] = await labels();
      assert.deepEqual(
        l!.pairs.map((p) => [p.pairId, p.rm, p.chosen]),
        [
          ['p/0', a, 'A'],
          ['p/1', a, 'A'],
        ],
      );
      assert.deepEqual(
        {
          auditScores: labeler.stats().auditScores,
          auditPairs: labeler.stats().auditPairs,
          unscored: labeler.stats().unscored,
          deadLettered: labeler.stats().deadLettered,
        },
        { auditScores: 2, auditPairs: 3, unscored: 0, deadLettered: 0 },
      );
      assert.equal(
        (await bus.readToEnd(topicName(settings.prefix, 'dlq'))).length,
        0,
        'the labeler dead-letters no audit pair (the scorer did)',
      );
    } finally {
      await labeler.close();
      await producer.close();
      await bus.close();
    }
  });

  it('refuses a fraction outside [0, 1] with RR_INVALID_CONFIG naming shadow.fraction', () => {
    for (const fraction of [-0.1, 1.5, NaN, Infinity, '0.1', null, undefined]) {
      assert.throws(
        () => testSettings({ shadow: { fraction: fraction as number } }),
        (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'shadow.fraction',
        String(fraction),
      );
    }
    for (const flag of ['-1', '2', 'x', ''])
      assert.throws(
        () => parseShadowFraction(flag),
        (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'shadow.fraction',
        flag,
      );
    assert.equal(parseShadowFraction('0.25'), 0.25);
    assert.equal(testSettings({ shadow: { fraction: 0 } }).shadow?.fraction, 0);
    const ids = Array.from({ length: 1000 }, (_, i) => `b0-p${i}`);
    assert.equal(ids.filter(shadowPicker(3, 'r', 0)).length, 0);
    assert.equal(ids.filter(shadowPicker(3, 'r', 1)).length, 1000);
  });
});
