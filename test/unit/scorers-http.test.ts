// The http backend against local servers (127.0.0.1): OpenRLHF and TEI give the right scores, each
// distinct text is scored once, concurrency is bounded; timeouts, retries (seeded jitter, capped),
// the breaker's open / half-open / closed, and garbage replies.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { httpBackend, type HttpBackendOptions } from '../../src/scorers/http.ts';
import { defaultResilience, Resilient, type ResilienceOptions } from '../../src/scorers/resilience.ts';
import { isFailure, type PairInput } from '../../src/scorers/types.ts';
import { fakeReward, openrlhfAnswer, startFake, teiAnswer, type FakeServer } from '../helpers/fakeRm.ts';
import { testTime } from '../helpers/scoreThrough.ts';

const servers: FakeServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function fake(answer: (b: unknown) => unknown): Promise<FakeServer> {
  const s = await startFake(answer);
  servers.push(s);
  return s;
}

const pairs = (n: number, prompt = 'What is 2+2?'): PairInput[] =>
  Array.from({ length: n }, (_, i) => ({
    pairId: `p/${i}`,
    prompt,
    messages: [],
    responseA: `answer ${i % 3}`,
    responseB: `answer ${(i + 1) % 3}`,
  }));

function backend(server: FakeServer, protocol: HttpBackendOptions['protocol'], over: Partial<ResilienceOptions> = {}, maxBatch = 64) {
  const t = testTime();
  const res = new Resilient({ ...defaultResilience, timeoutMs: 2_000, ...over }, t.clock, 1, 'rm-a', t.timers);
  const b = httpBackend({ url: `${server.url}/score`, protocol, modelVersion: 'rm-a@1', maxBatch, separator: '\n' }, res);
  return { b, res, ...t };
}

describe('http backend: protocols', () => {
  it('OpenRLHF: POST {query, prompts} → {rewards}; each distinct (prompt, response) scored once', async () => {
    const s = await fake(openrlhfAnswer);
    const { b } = backend(s, 'openrlhf');
    const input = [...pairs(6), ...pairs(3, 'Name a prime.')];
    const out = await b.scorePairs(input);
    out.forEach((r, i) => {
      assert.ok(!isFailure(r));
      assert.equal(r.scoreA, fakeReward(`${input[i]!.prompt}\n${input[i]!.responseA}`));
      assert.equal(r.scoreB, fakeReward(`${input[i]!.prompt}\n${input[i]!.responseB}`));
    });
    const body = s.bodies[0] as { query: string[]; prompts: string[] };
    assert.equal(s.bodies.length, 1);
    assert.equal(body.query.length, 6, '2 prompts × 3 distinct responses, though 9 pairs name 18 texts');
    assert.deepEqual(body.prompts.slice(0, 1), ['What is 2+2?']);
  });

  it('TEI /predict: {inputs: [[prompt, response]], raw_scores: true} → [[{score, label}]]', async () => {
    const s = await fake(teiAnswer);
    const { b } = backend(s, 'tei');
    const input = pairs(4);
    const out = await b.scorePairs(input);
    out.forEach((r, i) => {
      assert.ok(!isFailure(r));
      assert.equal(r.scoreA, fakeReward(`${input[i]!.prompt}\n${input[i]!.responseA}`));
    });
    assert.deepEqual((s.bodies[0] as { inputs: unknown[]; raw_scores: boolean }).raw_scores, true);
    assert.deepEqual((s.bodies[0] as { inputs: unknown[] }).inputs[0], ['What is 2+2?', 'answer 0']);
  });

  it('a chat prompt without plain text is sent as role: content lines', async () => {
    const s = await fake(openrlhfAnswer);
    const { b } = backend(s, 'openrlhf');
    await b.scorePairs([
      {
        pairId: 'c',
        prompt: '',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
        responseA: 'x',
        responseB: 'y',
      },
    ]);
    assert.deepEqual((s.bodies[0] as { prompts: string[] }).prompts[0], 'system: Be brief.\nuser: Hi');
  });

  it('chunks of maxBatch texts go out concurrently, never more than `concurrency` at once', async () => {
    const s = await fake(openrlhfAnswer);
    s.mode = { kind: 'slow', ms: 150 }; // long enough that two calls always overlap at the server
    const { b } = backend(s, 'openrlhf', { concurrency: 2 }, 2);
    const input = Array.from({ length: 10 }, (_, i) => ({
      pairId: `q${i}`,
      prompt: `q${i}`,
      messages: [],
      responseA: 'a',
      responseB: 'b',
    }));
    const out = await b.scorePairs(input);
    assert.ok(out.every((r) => !isFailure(r)));
    assert.equal(s.bodies.length, 10, '20 distinct texts in chunks of 2');
    assert.equal(s.maxInFlight, 2);
  });
});

describe('http backend: failures', () => {
  it('a timeout fails the attempt; after the retries the pairs are RM_UNAVAILABLE (never thrown)', async () => {
    const s = await fake(openrlhfAnswer);
    s.mode = { kind: 'hang' };
    const { b, res, slept } = backend(s, 'openrlhf', { timeoutMs: 150, retries: 2 });
    const out = await b.scorePairs(pairs(2));
    for (const r of out) {
      assert.ok(isFailure(r));
      assert.equal(r.failure.code, 'RM_UNAVAILABLE');
      assert.match(r.failure.message, /timed out after 150 ms \(after 3 attempts\)/);
    }
    assert.equal(res.stats.timeouts, 3);
    assert.equal(slept.length, 2);
  });

  it('retries a 503 with capped, seeded-jitter backoff and then succeeds', async () => {
    const s = await fake(openrlhfAnswer);
    s.failNext = 3;
    const { b, res, slept } = backend(s, 'openrlhf', { retries: 4, backoffBaseMs: 100, backoffCapMs: 250 });
    const out = await b.scorePairs(pairs(1));
    assert.ok(!isFailure(out[0]!));
    assert.equal(res.stats.retries, 3);
    assert.equal(s.bodies.length, 4);
    // retry n waits min(cap, base·2^(n−1)) · (0.5 + 0.5u): within [50,100], [100,200], [125,250]
    const bounds = [
      [50, 100],
      [100, 200],
      [125, 250],
    ];
    slept.forEach((ms, i) => assert.ok(ms >= bounds[i]![0]! && ms <= bounds[i]![1]!, `retry ${i + 1}: ${ms}`));
    // the same seed and key give the same schedule (no Math.random)
    const again = backend(s, 'openrlhf', { retries: 4, backoffBaseMs: 100, backoffCapMs: 250 });
    s.failNext = 3;
    await again.b.scorePairs(pairs(1));
    assert.deepEqual(again.slept, slept);
  });

  it('a 4xx is not retried: RM_BAD_RESPONSE', async () => {
    const s = await fake(openrlhfAnswer);
    s.mode = { kind: 'status', status: 400 };
    const { b, res } = backend(s, 'openrlhf');
    const [r] = await b.scorePairs(pairs(1));
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE');
    assert.equal(res.stats.attempts, 1);
  });

  for (const [what, body] of [
    ['not JSON', 'Internal <html>'],
    ['no rewards key', '{"scores":[1,2]}'],
    ['too few rewards', '{"rewards":[1]}'],
    ['a null reward', '{"rewards":[1,null]}'],
    ['a string reward', '{"rewards":["1","2"]}'],
  ] as const) {
    it(`garbage (${what}) → RM_BAD_RESPONSE, not retried`, async () => {
      const s = await fake(openrlhfAnswer);
      s.mode = { kind: 'garbage', body };
      const { b, res } = backend(s, 'openrlhf');
      const [r] = await b.scorePairs([{ pairId: 'g', prompt: 'p', messages: [], responseA: 'a', responseB: 'b' }]);
      assert.ok(isFailure(r!), what);
      assert.equal(r.failure.code, 'RM_BAD_RESPONSE');
      assert.equal(res.stats.attempts, 1);
    });
  }

  it('TEI garbage (an object instead of a list) → RM_BAD_RESPONSE', async () => {
    const s = await fake(teiAnswer);
    s.mode = { kind: 'garbage', body: '{"error":"model not loaded"}' };
    const { b } = backend(s, 'tei');
    const [r] = await b.scorePairs(pairs(1));
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE');
  });

  it('a refused connection (server down) is RM_UNAVAILABLE after the retries', async () => {
    const s = await fake(openrlhfAnswer);
    await s.close();
    const { b, res } = backend(s, 'openrlhf', { retries: 1 });
    const [r] = await b.scorePairs(pairs(1));
    assert.ok(isFailure(r!) && r.failure.code === 'RM_UNAVAILABLE');
    assert.match(r.failure.message, /ECONNREFUSED/);
    assert.equal(res.stats.attempts, 2);
  });
});

describe('circuit breaker (per RM): closed → open → half-open → closed', () => {
  it('opens after breakerFailures failures, short-circuits without a request, probes once after openMs, closes on success', async () => {
    const s = await fake(openrlhfAnswer);
    s.mode = { kind: 'status', status: 503 };
    const { b, res, clock } = backend(s, 'openrlhf', { retries: 0, breakerFailures: 3, breakerOpenMs: 10_000 });
    for (let i = 0; i < 3; i++) await b.scorePairs([{ pairId: `f${i}`, prompt: `p${i}`, messages: [], responseA: 'a', responseB: 'b' }]);
    assert.equal(res.breaker.state, 'open');
    assert.equal(s.bodies.length, 3);

    const [r] = await b.scorePairs(pairs(1));
    assert.ok(isFailure(r!) && /circuit breaker open/.test(r.failure.message));
    assert.equal(s.bodies.length, 3, 'open: no request goes out');
    assert.equal(res.stats.shortCircuited, 1);

    clock.t += 10_000;
    assert.equal(res.breaker.state, 'half-open');
    s.mode = { kind: 'slow', ms: 60 };
    // Two calls at once in half-open: one probe goes out, the other fails at once.
    const [probe, other] = await Promise.all([b.scorePairs(pairs(1, 'probe')), b.scorePairs(pairs(1, 'other'))]);
    assert.ok(!isFailure(probe![0]!), 'the probe succeeds');
    assert.ok(isFailure(other![0]!) && /circuit breaker open/.test(other![0]!.failure.message));
    assert.equal(res.breaker.state, 'closed');
    assert.ok(!isFailure((await b.scorePairs(pairs(1, 'after')))[0]!));
    assert.deepEqual(res.breaker.transitions, { 'closed->open': 1, 'open->half-open': 1, 'half-open->closed': 1 });
  });

  it('a failed probe opens it again for another openMs', async () => {
    const s = await fake(openrlhfAnswer);
    s.mode = { kind: 'status', status: 503 };
    const { b, res, clock } = backend(s, 'openrlhf', { retries: 0, breakerFailures: 1, breakerOpenMs: 5_000 });
    await b.scorePairs(pairs(1));
    assert.equal(res.breaker.state, 'open');
    clock.t += 5_000;
    await b.scorePairs(pairs(1, 'probe'));
    assert.equal(res.breaker.state, 'open');
    assert.equal(s.bodies.length, 2);
    clock.t += 4_999;
    assert.equal(res.breaker.state, 'open');
    clock.t += 1;
    assert.equal(res.breaker.state, 'half-open');
  });
});
