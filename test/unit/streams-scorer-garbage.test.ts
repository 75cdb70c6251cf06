// The scorer app with an HTTP RM that answers garbage (in-process bus): the request's Score still
// comes out with the pair `unscored` = RM_BAD_RESPONSE, the pair is dead-lettered with that reason
// and the request's bytes, the labeler completes the prompt without it; a good pair of the same
// micro-batch from another prompt is unaffected when its own call succeeds.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { recordKey, requestsTopic, topicName } from '../../src/records/topics.ts';
import type { DeadLetter, Label, Score, ScoringRequest } from '../../src/records/types.ts';
import type { AppContext } from '../../streams/runtime/context.ts';
import { startLabelerApp } from '../../streams/labeler/labeler.ts';
import { startScorerApp } from '../../streams/scorer/scorer.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { startFake, type FakeServer } from '../helpers/fakeRm.ts';
import { waitFor } from '../helpers/kafka.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const servers: FakeServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

describe('scorer app: an RM answering garbage', () => {
  it('Score with the pair unscored, a RM_BAD_RESPONSE dead letter, the prompt labeled without it', async () => {
    // Garbage for the prompt "bad", good rewards otherwise (one call per prompt: maxBatch 2 texts).
    const server = await startFake((body) => {
      const q = body as { query: string[]; prompts: string[] };
      return q.prompts[0] === 'bad' ? { rewards: ['x', 'y'] } : { rewards: q.query.map((t) => (t.endsWith('long answer') ? 2 : 1)) };
    });
    servers.push(server);
    const base = testSettings();
    const rm = base.arms[0]!;
    const s = testSettings({
      prefix: 'g.',
      scorers: { [rm]: { backend: 'http', protocol: 'openrlhf', url: `${server.url}/`, maxBatch: 2, retries: 0, maxWaitMs: 0 } },
    });
    const clock = counterClock();
    const bus = createMemoryBus({ clock });
    const codec = new SingleObjectCodec();
    const ctx: AppContext = { bus, codec, clock, log: quietLog, settings: s };
    await createLoopTopics(bus, s);
    const apps = [await startScorerApp(ctx, { rm }), await startLabelerApp(ctx)];
    try {
      const req = (promptId: string, prompt: string): ScoringRequest => ({
        run: s.run,
        batch: 0,
        promptId,
        rm,
        prompt,
        messages: [],
        promptPairs: 1,
        routedAtMs: 0,
        pairs: [{ pairId: `${promptId}/0`, index: 0, responseA: 'a long answer', responseB: 'short' }],
      });
      const producer = await bus.producer();
      const bad = req('p-bad', 'bad');
      const badBytes = codec.encodeSync('requests', bad);
      await producer.send([
        { topic: requestsTopic(s.prefix, rm), key: Buffer.from(recordKey('requests', bad) as string), value: badBytes },
        { topic: requestsTopic(s.prefix, rm), key: Buffer.from('k'), value: codec.encodeSync('requests', req('p-good', 'good')) },
      ]);
      const read = async <T>(base: 'scores' | 'dlq' | 'labels'): Promise<T[]> =>
        (await bus.readToEnd(topicName(s.prefix, base))).map((r) => codec.decodeSync(base, r.value!) as T);
      await waitFor(async () => (await read('labels')).length >= 2, { message: 'two labels' });
      const scores = await read<Score>('scores');
      const badScore = scores.find((x) => x.promptId === 'p-bad')!;
      assert.equal(badScore.pairs[0]!.unscored, 'RM_BAD_RESPONSE');
      assert.ok(Number.isNaN(badScore.pairs[0]!.scoreA));
      assert.deepEqual(
        scores.find((x) => x.promptId === 'p-good')!.pairs.map((p) => [p.scoreA, p.scoreB, p.unscored]),
        [[2, 1, null]],
      );
      const dlq = await read<DeadLetter>('dlq');
      assert.equal(dlq.length, 1);
      assert.equal(dlq[0]!.reason, 'RM_BAD_RESPONSE');
      assert.equal(dlq[0]!.stage, `scorer.${rm}`);
      assert.match(dlq[0]!.message, /pair p-bad\/0 unscored by RM .*reward 0 is "x", not a finite number/);
      assert.deepEqual(Buffer.from(dlq[0]!.original), badBytes);
      const labels = await read<Label>('labels');
      assert.deepEqual(labels.find((l) => l.promptId === 'p-bad')!.pairs, [], 'completed, nothing kept');
      assert.equal(labels.find((l) => l.promptId === 'p-good')!.pairs.length, 1);
      assert.equal(apps[1]!.stats().unscored, 1);
      assert.equal(apps[0]!.stats().unscored, 1);
    } finally {
      for (const a of apps.reverse()) await a.close();
      await bus.close();
    }
  });
});
