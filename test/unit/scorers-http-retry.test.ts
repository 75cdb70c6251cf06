// A server that says when to come back is waited for: a 429 or 503 with Retry-After (delay-seconds,
// or an HTTP-date read against the reply's own Date, else the injected clock) makes the retry wait
// at least that long, up to retryAfterCapMs, on the injected timers (the test's record each wait,
// no wall-clock sleep); a Retry-After shorter than the backoff leaves the backoff.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { retryAfterMs } from '../../src/scorers/post.ts';
import { defaultResilience, isSizeRefusal, Resilient, RmCallError, statedBatchLimit } from '../../src/scorers/resilience.ts';
import { isFailure, type PairInput } from '../../src/scorers/types.ts';
import { fakeReward } from '../helpers/fakeRm.ts';
import { json, startLocal, type LocalServer } from '../helpers/localServer.ts';
import { backendFrom, testTime } from '../helpers/scoreThrough.ts';

const servers: LocalServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function openrlhf(): Promise<LocalServer> {
  const s = await startLocal((r) => json(200, { rewards: (JSON.parse(r.raw) as { query: string[] }).query.map(fakeReward) }));
  servers.push(s);
  return s;
}
const pair: PairInput = { pairId: 'p', prompt: 'Q', messages: [], responseA: 'a', responseB: 'b' };
const tooMany = (headers: Record<string, string>, status = 429, noDate = false) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: '{"error":"rate limited"}',
  noDate,
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP-dates (against the Date header, else the injected clock); anything else is ignored', () => {
    assert.equal(retryAfterMs('7', undefined), 7_000);
    assert.equal(retryAfterMs(' 0 ', undefined), 0);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', 'Wed, 21 Oct 2015 07:28:00 GMT'), 30_000);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:20 GMT');
    assert.equal(
      retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', undefined, () => now),
      10_000,
    );
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', 'Wed, 21 Oct 2015 07:29:00 GMT'), 0, 'a date already past: no wait');
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', undefined), undefined, 'no reference time');
    assert.equal(retryAfterMs('soon', undefined), undefined);
    assert.equal(
      retryAfterMs('-5', undefined, () => now),
      undefined,
    );
    assert.equal(
      retryAfterMs('2015-10-21', undefined, () => now),
      undefined,
      'not an HTTP-date',
    );
    assert.equal(
      retryAfterMs('Wednesday, 21-Oct-15 07:28:30 GMT', undefined, () => now),
      10_000,
      'RFC 850',
    );
    assert.equal(retryAfterMs(undefined, undefined), undefined);
  });

  it('a 429 with Retry-After: 7 makes the retry wait 7 s (the backoff alone would be ≤ 200 ms), then the pair is scored', async () => {
    const s = await openrlhf();
    s.queue.push(tooMany({ 'retry-after': '7' }));
    const { backend, slept } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${s.url}/get_reward` });
    const [r] = await backend.scorePairs([pair]);
    assert.ok(!isFailure(r!));
    assert.deepEqual(slept, [7_000]);
    assert.equal(backend.stats().retryAfter, 1);
    assert.equal(s.received.length, 2);
  });

  it('an HTTP-date is measured against the reply Date and capped by retryAfterCapMs; a 503 counts too', async () => {
    const s = await openrlhf();
    s.queue.push(tooMany({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT', date: 'Wed, 21 Oct 2015 07:28:00 GMT' }, 503));
    s.queue.push(tooMany({ 'retry-after': 'Wed, 21 Oct 2015 07:28:12 GMT', date: 'Wed, 21 Oct 2015 07:28:00 GMT' }));
    const { backend, slept } = await backendFrom({
      backend: 'http',
      protocol: 'openrlhf',
      url: `${s.url}/get_reward`,
      retryAfterCapMs: 20_000,
    });
    const [r] = await backend.scorePairs([pair]);
    assert.ok(!isFailure(r!));
    assert.deepEqual(slept, [20_000, 12_000], '30 s capped at 20 s, then 12 s');
  });

  it('without a Date header the HTTP-date is read against the injected clock', async () => {
    const s = await openrlhf();
    s.queue.push(tooMany({ 'retry-after': 'Wed, 21 Oct 2015 07:28:09 GMT' }, 429, true));
    const t = testTime();
    t.clock.t = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    const { backend, slept } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${s.url}/get_reward` }, t);
    await backend.scorePairs([pair]);
    assert.deepEqual(slept, [9_000]);
  });

  it('a Retry-After shorter than the backoff leaves the seeded backoff; without one the backoff is as before', async () => {
    const s = await openrlhf();
    s.queue.push(tooMany({ 'retry-after': '0' }), tooMany({}));
    const { backend, slept } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${s.url}/get_reward`, backoffBaseMs: 100 });
    await backend.scorePairs([pair]);
    assert.equal(slept.length, 2);
    assert.ok(slept[0]! >= 50 && slept[0]! <= 100, `retry 1: ${slept[0]}`);
    assert.ok(slept[1]! >= 100 && slept[1]! <= 200, `retry 2: ${slept[1]}`);
    assert.equal(backend.stats().retryAfter, 0);
  });

  it('once the retries are spent the pair is RM_UNAVAILABLE, and the error keeps the status', async () => {
    const s = await openrlhf();
    for (let i = 0; i < 3; i++) s.queue.push(tooMany({ 'retry-after': '1' }));
    const { backend, slept } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${s.url}/get_reward`, retries: 2 });
    const [r] = await backend.scorePairs([pair]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_UNAVAILABLE');
    assert.match(r.failure.message, /HTTP 429: rate limited \(after 3 attempts\)/);
    assert.deepEqual(slept, [1_000, 1_000]);
  });

  it('Resilient.retryWait: max(backoff, Retry-After), capped; the error carries status and retryAfterMs through the retries', async () => {
    const t = testTime();
    const res = new Resilient({ ...defaultResilience, retryAfterCapMs: 5_000, retries: 1 }, t.clock, 1, 'rm', t.timers);
    const b = res.backoff('k', 1);
    assert.equal(res.retryWait('k', 1, new RmCallError('RM_UNAVAILABLE', 'HTTP 429', true, { status: 429 })), b);
    assert.equal(res.retryWait('k', 1, new RmCallError('RM_UNAVAILABLE', 'HTTP 429', true, { status: 429, retryAfterMs: 3_000 })), 3_000);
    assert.equal(res.retryWait('k', 1, new RmCallError('RM_UNAVAILABLE', 'HTTP 429', true, { status: 429, retryAfterMs: 60_000 })), 5_000);
    await assert.rejects(
      res.call('k', async () => {
        throw new RmCallError('RM_UNAVAILABLE', 'HTTP 503', true, { status: 503, retryAfterMs: 2_000 });
      }),
      (e: unknown) => e instanceof RmCallError && e.status === 503 && e.retryAfterMs === 2_000,
    );
    assert.deepEqual(t.slept, [2_000]);
  });

  it('a size refusal is told apart: 413 always, 422 only when it says so; the size it names is read', () => {
    const e = (status: number, m: string) => new RmCallError('RM_BAD_RESPONSE', `HTTP ${status}: ${m}`, false, { status });
    assert.ok(isSizeRefusal(e(413, 'Payload Too Large')));
    assert.ok(isSizeRefusal(e(422, 'batch size 64 > maximum allowed batch size 32')));
    assert.ok(!isSizeRefusal(e(422, 'field required')));
    assert.ok(!isSizeRefusal(e(400, 'batch too large')));
    assert.equal(statedBatchLimit(e(413, 'batch size 64 > maximum allowed batch size 32')), 32);
    assert.equal(statedBatchLimit(e(413, 'Payload Too Large')), undefined);
  });
});
