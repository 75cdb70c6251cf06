// The labeler holds its offset commits below the first score of any prompt that is not complete,
// so a labeler that stops mid-prompt and a new one started after it still label that prompt
// (at-least-once; before, the half-collected prompt was lost and the trainer waited forever).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { Score } from '../../src/records/types.ts';
import type { AppContext } from '../../streams/runtime/context.ts';
import { startLabelerApp } from '../../streams/labeler/labeler.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';
import { waitFor } from '../helpers/kafka.ts';

const score = (s: { run: string }, promptId: string, rm: string, pairs: [number, number][]): Score => ({
  run: s.run,
  batch: 0,
  promptId,
  rm,
  modelVersion: 'test',
  latencyMs: 1,
  promptPairs: 4,
  pairs: pairs.map(([index, gap]) => ({ pairId: `${promptId}/${index}`, index, scoreA: gap / 2, scoreB: -gap / 2 })),
});

describe('labeler restart mid-prompt', () => {
  it('labels a prompt whose scores were split across two labeler lifetimes', async () => {
    const clock = counterClock();
    const bus = createMemoryBus({ clock });
    const settings = testSettings({ prefix: 'lr.' });
    const ctx: AppContext = { bus, codec: new SingleObjectCodec(), clock, log: quietLog, settings };
    await createLoopTopics(bus, settings);
    const producer = await bus.producer();
    const send = async (sc: Score) =>
      producer.send([
        {
          topic: topicName(settings.prefix, 'scores'),
          key: Buffer.from(recordKey('scores', sc) as string),
          value: await ctx.codec.encode('scores', sc),
        },
      ]);
    const labels = async () => (await bus.readToEnd(topicName(settings.prefix, 'labels'))).map((r) => ctx.codec.decode('labels', r.value!));

    const first = await startLabelerApp(ctx);
    await send(
      score(settings, 'p-open', settings.arms[0]!, [
        [0, 1],
        [1, 1],
      ]),
    ); // half of p-open
    await send(
      score(settings, 'p-done', settings.arms[1]!, [
        [0, 1],
        [1, 0.05],
        [2, 1],
        [3, 1],
      ]),
    ); // all of p-done
    await waitFor(async () => (await labels()).length === 1, { timeoutMs: 5_000, intervalMs: 10, message: 'p-done labelled' });
    assert.equal(first.stats().openPrompts, 1);
    await first.close(); // stops with p-open half collected

    const second = await startLabelerApp(ctx);
    await send(
      score(settings, 'p-open', settings.arms[2]!, [
        [2, 1],
        [3, 0.05],
      ]),
    );
    await waitFor(async () => (await Promise.all(await labels())).some((l) => l.promptId === 'p-open'), {
      timeoutMs: 5_000,
      intervalMs: 10,
      message: 'p-open labelled',
    });
    const all = await Promise.all(await labels());
    const open = all.filter((l) => l.promptId === 'p-open');
    assert.equal(open.length, 1);
    assert.deepEqual(
      open[0]!.pairs.map((p) => p.pairId),
      ['p-open/0', 'p-open/1', 'p-open/2'],
    );
    assert.equal(second.stats().openPrompts, 0);
    await second.close();
    await producer.close();
    await bus.close();
  });
});
