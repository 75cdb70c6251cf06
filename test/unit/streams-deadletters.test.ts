// Bad input through the in-process bus: each bad record (or bad pair of a record) lands in `dlq` with its
// reason, and the valid records around it give exactly the results they give on their own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import type { OutRecord } from '../../src/bus/types.ts';
import { recordKey, requestsTopic, topicName } from '../../src/records/topics.ts';
import type { Generation, Score, ScoringRequest } from '../../src/records/types.ts';
import type { AppContext, AppHandle } from '../../streams/runtime/context.ts';
import { startLabelerApp } from '../../streams/labeler/labeler.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { startScorerApp } from '../../streams/scorer/scorer.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { waitFor } from '../helpers/kafka.ts';
import { D, quietLog, testSettings } from './streams-fixtures.ts';

const s = testSettings();
const codec = new SingleObjectCodec();
const [p0, p1] = simStream(s).generateBatch(0).prompts;
const pair = (x: { pairId: string; x: Float64Array }, embedding: number[] = Array.from(x.x)) => ({
  pairId: x.pairId,
  responseA: 'a',
  responseB: 'b',
  embedding,
});
const gen = (promptId: string, pairs: Generation['pairs']): Generation => ({
  run: s.run,
  batch: 0,
  promptId,
  category: null,
  pairs,
  sentAtMs: 0,
});
const out = (topic: string, key: string, value: Buffer): OutRecord => ({ topic, key: Buffer.from(key), value });

/** Runs router, scorers and labeler on `records`; returns decisions (without timestamps), labels and dlq reasons. */
async function pipeline(records: (c: AppContext) => OutRecord[], expect: { labels: number; dlq: number }) {
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  const ctx: AppContext = { bus, codec, clock, log: quietLog, settings: s };
  const apps: AppHandle[] = [];
  try {
    await createLoopTopics(bus, s);
    for (const rm of s.arms) apps.push(await startScorerApp(ctx, { rm }));
    apps.push(await startLabelerApp(ctx), await startRouterApp(ctx));
    const producer = await bus.producer();
    await producer.send(records(ctx));
    const read = async (base: 'labels' | 'dlq' | 'decisions') => (await bus.readToEnd(topicName(s.prefix, base))).map((r) => r.value!);
    await waitFor(async () => (await read('labels')).length >= expect.labels && (await read('dlq')).length >= expect.dlq, {
      message: 'labels and dead letters',
    });
    const decisions = (await read('decisions')).map((b) => ({ ...codec.decodeSync('decisions', b), decidedAtMs: 0 }));
    const labels = (await read('labels')).map((b) => codec.decodeSync('labels', b));
    const dlq = (await read('dlq')).map((b) => codec.decodeSync('dlq', b));
    return { decisions, labels, dlq };
  } finally {
    for (const a of apps.reverse()) await a.close();
    await bus.close();
  }
}

describe('streams: dead letters', () => {
  it('sends each bad record to dlq with its reason and leaves the valid results unchanged', async () => {
    const genTopic = topicName(s.prefix, 'generations');
    const clean = await pipeline(
      () => [
        out(
          genTopic,
          'k0',
          codec.encodeSync(
            'generations',
            gen(
              p0!.promptId,
              p0!.pairs.slice(0, 3).map((x) => pair(x)),
            ),
          ),
        ),
        out(
          genTopic,
          'k1',
          codec.encodeSync(
            'generations',
            gen(
              p1!.promptId,
              p1!.pairs.map((x) => pair(x)),
            ),
          ),
        ),
      ],
      { labels: 2, dlq: 0 },
    );
    assert.equal(clean.dlq.length, 0);

    const [a, b, c, d, e] = p0!.pairs;
    const badRequest: ScoringRequest = {
      run: s.run,
      batch: 0,
      promptId: 'x',
      rm: 'no-such-rm',
      pairs: [{ pairId: a!.pairId, index: 0, responseA: 'a', responseB: 'b' }],
      promptPairs: 1,
      routedAtMs: 0,
    };
    const nanScore: Score = {
      run: s.run,
      batch: 0,
      promptId: 'nan-prompt',
      rm: s.arms[0]!,
      modelVersion: 'm',
      latencyMs: 0,
      promptPairs: 2,
      pairs: [
        { pairId: 'n0', index: 0, scoreA: NaN, scoreB: 0 },
        { pairId: 'n1', index: 1, scoreA: 1, scoreB: 0 },
      ],
    };
    const dirty = await pipeline(
      () => [
        out(genTopic, 'garbage', Buffer.from('not an avro record')),
        // a, b, c are valid; d has the wrong width, e a NaN: the record's valid pairs are still routed.
        out(
          genTopic,
          'k0',
          codec.encodeSync(
            'generations',
            gen(p0!.promptId, [
              pair(a!),
              pair(d!, [1, 2, 3]),
              pair(b!),
              pair(
                e!,
                Array.from({ length: D }, (_, i) => (i === 2 ? NaN : 0.1)),
              ),
              pair(c!),
            ]),
          ),
        ),
        // p1 again, with a copy of a pair routed before in the run.
        out(genTopic, 'k1', codec.encodeSync('generations', gen(p1!.promptId, [...p1!.pairs.map((x) => pair(x)), pair(a!)]))),
        out(requestsTopic(s.prefix, s.arms[0]!), 'x', codec.encodeSync('requests', badRequest)),
        out(topicName(s.prefix, 'scores'), recordKey('scores', nanScore) as string, codec.encodeSync('scores', nanScore)),
      ],
      { labels: 3, dlq: 6 },
    );

    const reasons = dirty.dlq.map((l) => `${l.stage}:${l.reason}`).sort();
    assert.deepEqual(
      reasons,
      [
        'labeler:NON_FINITE',
        'router:DUPLICATE_PAIR',
        'router:NON_FINITE',
        'router:UNDECODABLE',
        'router:WRONG_VECTOR_LENGTH',
        `scorer.${s.arms[0]}:UNKNOWN_RM`,
      ].sort(),
    );
    assert.ok(dirty.dlq.find((l) => l.reason === 'UNDECODABLE')!.original.equals(Buffer.from('not an avro record')));

    // The valid pairs' decisions and the prompts' labels are the same as without the bad input.
    assert.deepEqual(dirty.decisions, clean.decisions);
    const byPrompt = (ls: typeof clean.labels) => new Map(ls.map((l) => [l.promptId, l]));
    assert.deepEqual(byPrompt(dirty.labels).get(p0!.promptId), byPrompt(clean.labels).get(p0!.promptId));
    assert.deepEqual(byPrompt(dirty.labels).get(p1!.promptId), byPrompt(clean.labels).get(p1!.promptId));
    // The NaN pair completes its prompt but is never kept.
    assert.deepEqual(
      byPrompt(dirty.labels)
        .get('nan-prompt')!
        .pairs.map((p) => [p.pairId, p.chosen]),
      [['n1', 'A']],
    );
  });
});
