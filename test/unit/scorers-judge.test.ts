// The judge backend against a fake OpenAI-compatible chat server on 127.0.0.1: both orders asked,
// the vote combined, the seeded order reproducible, the strict parser, an unparseable answer → a
// counted tie, garbage → RM_BAD_RESPONSE.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { JUDGE_SYSTEM, judgeBackend, parseVerdict, type JudgeOptions } from '../../src/scorers/judge.ts';
import { defaultResilience, realTimers, Resilient } from '../../src/scorers/resilience.ts';
import { isFailure, type PairInput } from '../../src/scorers/types.ts';
import { chatAnswer, startFake, type FakeServer } from '../helpers/fakeRm.ts';

const servers: FakeServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function setup(verdictOf: (first: string, second: string) => string, over: Partial<JudgeOptions> = {}) {
  const s = await startFake(chatAnswer(verdictOf));
  servers.push(s);
  const clock = { now: () => 0 };
  const res = new Resilient({ ...defaultResilience, timeoutMs: 2_000 }, clock, 1, 'judge', { ...realTimers, sleep: async () => {} });
  const b = judgeBackend({ baseUrl: s.url, model: 'judge-model-1', order: 'both', seed: 1, run: 'r', maxTokens: 64, ...over }, res);
  return { s, b };
}

const pair = (pairId: string, a: string, b: string): PairInput => ({
  pairId,
  prompt: 'Which is longer?',
  messages: [],
  responseA: a,
  responseB: b,
});
const longer = (first: string, second: string) =>
  first.length > second.length ? 'Response 1 is longer.\n[[1]]' : first.length < second.length ? '[[2]]' : '[[TIE]]';

describe('judge: parseVerdict is strict', () => {
  it('accepts only a last line of exactly [[1]], [[2]] or [[TIE]]', () => {
    assert.equal(parseVerdict('[[1]]'), 1);
    assert.equal(parseVerdict('Reasoning...\n\n[[2]]\n'), 2);
    assert.equal(parseVerdict('so\n  [[tie]]  '), 'tie');
    assert.equal(parseVerdict('[[TIE]]'), 'tie');
    for (const bad of ['', 'Response 1', '[[1]] because', '[[3]]', '[1]', '[[1]]\nactually no', 'The answer is [[2]]', '[[ 1 ]]'])
      assert.equal(parseVerdict(bad), null, JSON.stringify(bad));
  });
});

describe('judge: position-bias control', () => {
  it('order both: asks A-first and B-first, and a consistent judge gives scoreA − scoreB = ±1', async () => {
    const { s, b } = await setup(longer);
    const out = await b.scorePairs([pair('p1', 'a long answer', 'short'), pair('p2', 'x', 'a longer one')]);
    assert.deepEqual(out, [
      { scoreA: 0.5, scoreB: -0.5 },
      { scoreA: -0.5, scoreB: 0.5 },
    ]);
    assert.equal(s.bodies.length, 4);
    const firsts = s.bodies.map(
      (body) => /\[Response 1\]\n(.*)\n/.exec((body as { messages: { content: string }[] }).messages[1]!.content)![1],
    );
    assert.deepEqual(firsts.sort(), ['a long answer', 'a longer one', 'short', 'x']);
    const req = s.bodies[0] as { model: string; temperature: number; messages: { role: string; content: string }[] };
    assert.equal(req.model, 'judge-model-1');
    assert.equal(req.temperature, 0);
    assert.equal(req.messages[0]!.content, JUDGE_SYSTEM);
  });

  it('order both: a judge that always picks Response 1 (pure position bias) gives a tie (gap 0)', async () => {
    const { b } = await setup(() => '[[1]]');
    assert.deepEqual(await b.scorePairs([pair('p', 'a', 'bb')]), [{ scoreA: 0, scoreB: 0 }]);
    assert.equal(b.stats().ties, 1);
  });

  it('order seeded: one call per pair, the order drawn from the seeded RNG (same seed, same orders; both orders occur)', async () => {
    const firstsOf = async (seed: number) => {
      const { s, b } = await setup(longer, { order: 'seeded', seed });
      const input = Array.from({ length: 16 }, (_, i) => pair(`p${i}`, `A${i}`, `BB${i}`));
      const out = await b.scorePairs(input);
      out.forEach((r) => assert.deepEqual(r, { scoreA: -0.5, scoreB: 0.5 }), 'the verdict is mapped back whatever the order');
      assert.equal(s.bodies.length, 16);
      return s.bodies
        .map((body) =>
          /\[Response 1\]\n(.*)\n/.exec((body as { messages: { content: string }[] }).messages[1]!.content)![1]!.startsWith('A'),
        )
        .sort();
    };
    const one = await firstsOf(5);
    assert.deepEqual(await firstsOf(5), one);
    assert.ok(one.includes(true) && one.includes(false));
  });
});

describe('judge: unparseable and garbage', () => {
  it('an unparseable answer is a tie, counted', async () => {
    const { b } = await setup(() => 'I think the first one is better.');
    assert.deepEqual(await b.scorePairs([pair('p', 'a', 'b')]), [{ scoreA: 0, scoreB: 0 }]);
    assert.equal(b.stats().unparseable, 2);
    assert.equal(b.stats().asked, 2);
  });

  it('a reply without choices[0].message.content → RM_BAD_RESPONSE (the pair is unscored, not a tie)', async () => {
    const { s, b } = await setup(longer);
    s.mode = { kind: 'garbage', body: '{"object":"error","message":"overloaded"}' };
    const [r] = await b.scorePairs([pair('p', 'a', 'b')]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE');
  });
});
