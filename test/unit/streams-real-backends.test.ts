// One loop, four RMs, four backends (in-process bus): an OpenRLHF server, a judge over a fake chat
// server, the demo tfjs model loaded from data/tfjs-rm, and the simulator. The loop finishes with
// no dead letter, every RM's Scores carry its model version, and the pool's counts add up.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { topicName } from '../../src/records/topics.ts';
import type { Score } from '../../src/records/types.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { chatAnswer, openrlhfAnswer, startFake, type FakeServer } from '../helpers/fakeRm.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const servers: FakeServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

describe('a loop with http, judge, tfjs and sim RMs (in-process bus)', { timeout: 120_000 }, () => {
  it('finishes with no dead letter; Scores carry each backend\'s model version; counts add up', async () => {
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
      assert.deepEqual([...versions.get(arms[0]!) ?? []], ['openrlhf-fake@1']);
      assert.deepEqual([...versions.get(arms[1]!) ?? []], ['judge-fake-1']);
      assert.match([...versions.get(arms[2]!) ?? []][0] ?? 'not routed', /^tfjs-sha256:[0-9a-f]{16}$/);
      assert.deepEqual([...versions.get(arms[3]!) ?? ['sim']], ['sim']);
      const st = summary.stats[`scorer:${arms[1]}`]!;
      assert.equal(st.asked, 2 * st.scored, 'the judge asked both orders of every pair');
    } finally {
      await bus.close();
    }
  });
});
