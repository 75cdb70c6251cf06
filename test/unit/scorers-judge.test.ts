// The judge backend against local fake chat servers on 127.0.0.1: the verdict parser (the last
// [[1]]/[[2]]/[[TIE]] anywhere, markdown around it), both orders asked and the vote combined, the
// seeded order reproducible, an answer without a verdict → RM_NO_VERDICT (never a tie), garbage →
// RM_BAD_RESPONSE; the config (url / baseUrl, the key's source, headers, tokenParam, temperature); and
// against an OpenAI-style fake (startOpenAiFake): the key sent as Bearer or in Azure's api-key header,
// a full endpoint path with a query, max_completion_tokens, the preflight (401/404/400 fatal RR_RM
// naming the RM and URL, 5xx or a refused connection a warning), the scorer app and the supervisor
// ending on a refused key, and two small loops (markdown answers: no RM_* dead letter; answers
// without a verdict: RM_NO_VERDICT in the summary). The key never shows in a log line, an error
// message, a dead letter or the stats.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { startAppHealth } from '../../src/health/index.ts';
import { topicName } from '../../src/records/topics.ts';
import type { DeadLetter, Score } from '../../src/records/types.ts';
import { parseScorers } from '../../src/scorers/config.ts';
import { JUDGE_SYSTEM, judgeBackend, parseVerdict, redactSecret, type JudgeOptions } from '../../src/scorers/judge.ts';
import { judgeEndpoint, parseJudgeConfig } from '../../src/scorers/judgeConfig.ts';
import { defaultResilience, realTimers, Resilient } from '../../src/scorers/resilience.ts';
import { isFailure, type PairInput } from '../../src/scorers/types.ts';
import type { Logger } from '../../streams/runtime/context.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { Supervisor } from '../../streams/runtime/supervisor.ts';
import { startScorerApp } from '../../streams/scorer/scorer.ts';
import { waitFor } from '../helpers/kafka.ts';
import { chatAnswer, markdownVerdict, startFake, startOpenAiFake, type OpenAiFake } from '../helpers/fakeRm.ts';
import { testSettings } from './streams-fixtures.ts';

/** The key the fakes expect, given to the judge through an environment variable. */
const KEY = 'sk-test-7Hq2Lw9XbV4nR8sT1yU6zA3cD5eF0gJk';
const KEY_ENV = 'RR_TEST_JUDGE_KEY';
process.env[KEY_ENV] = KEY;
/** A key the fakes do not expect (the wrong-key tests give it, and the fake echoes it back in its 401). */
const WRONG = 'sk-live-Zq8Wm3Np5Rt7Vx9Bc2Df4Gh6Jk1Lm0Pq';
const WRONG_ENV = 'RR_TEST_JUDGE_WRONG_KEY';
process.env[WRONG_ENV] = WRONG;

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** True when `text` holds the key or any 8 characters of it in a row. */
const leaks = (text: string, key: string): boolean => {
  for (let i = 0; i + 8 <= key.length; i++) if (text.includes(key.slice(i, i + 8))) return true;
  return false;
};

function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(JSON.stringify({ level, message, fields }));
  const log: Logger = { info: at('info'), warn: at('warn'), error: at('error'), namespace: () => log };
  return { log, lines };
}

const resilient = (over: Partial<typeof defaultResilience> = {}) =>
  new Resilient({ ...defaultResilience, timeoutMs: 2_000, ...over }, { now: () => 0 }, 1, 'judge', {
    ...realTimers,
    sleep: async () => {},
  });

/** Judge options from a raw `scorers` entry, as the config parser builds them. */
const options = (raw: Record<string, unknown>, over: Partial<JudgeOptions> = {}): JudgeOptions => ({
  ...parseJudgeConfig({ model: 'judge-model-1', ...raw }, 'scorers["judge-rm"]'),
  seed: 1,
  run: 'r',
  rm: 'judge-rm',
  ...over,
});

async function setup(verdictOf: (first: string, second: string) => string, over: Record<string, unknown> = {}) {
  const s = await startFake(chatAnswer(verdictOf));
  servers.push(s);
  const b = judgeBackend(options({ baseUrl: s.url, maxTokens: 64, ...over }), resilient());
  return { s, b };
}

async function openAi(o: Partial<Parameters<typeof startOpenAiFake>[0]> = {}): Promise<OpenAiFake> {
  const f = await startOpenAiFake({
    key: KEY,
    path: '/v1/chat/completions',
    content: (a, b) => (a.length >= b.length ? '[[1]]' : '[[2]]'),
    ...o,
  });
  servers.push(f);
  return f;
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
type Body = { messages: { role: string; content: string }[] } & Record<string, unknown>;

describe('judge: parseVerdict takes the last verdict token anywhere', () => {
  it('accepts markdown around it and text after it; the last one wins', () => {
    assert.equal(parseVerdict('[[1]]'), 1);
    assert.equal(parseVerdict('Reasoning...\n\n[[2]]\n'), 2);
    assert.equal(parseVerdict('so\n  [[tie]]  '), 'tie');
    assert.equal(parseVerdict('**Verdict:** [[1]]'), 1);
    assert.equal(parseVerdict('[[2]] because the first one is wrong.'), 2);
    assert.equal(parseVerdict('The answer is [[2]]'), 2);
    assert.equal(parseVerdict('```\n[[TIE]]\n```'), 'tie');
    assert.equal(parseVerdict('Final: `[[1]]`.'), 1);
    assert.equal(parseVerdict('**[[2]]**'), 2);
    assert.equal(parseVerdict('At first I thought [[1]], but on reflection [[2]].\n\nThat is all.'), 2);
    assert.equal(parseVerdict('[[1]]\nactually no'), 1);
    for (const bad of ['', 'Response 1', 'I prefer the first one.', '[[3]]', '[1]', '[[ 1 ]]', '[[one]]'])
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
    const firsts = s.bodies.map((body) => /\[Response 1\]\n(.*)\n/.exec((body as Body).messages[1]!.content)![1]);
    assert.deepEqual(firsts.sort(), ['a long answer', 'a longer one', 'short', 'x']);
    const req = s.bodies[0] as Body;
    assert.equal(req.model, 'judge-model-1');
    assert.equal(req.temperature, 0);
    assert.equal(req.max_completion_tokens, 64);
    assert.equal(req.max_tokens, undefined);
    assert.equal(req.messages[0]!.content, JUDGE_SYSTEM);
  });

  it('order both: a judge that always picks Response 1 (pure position bias) gives a tie (gap 0)', async () => {
    const { b } = await setup(() => '[[1]]');
    assert.deepEqual(await b.scorePairs([pair('p', 'a', 'bb')]), [{ scoreA: 0, scoreB: 0 }]);
    assert.equal(b.stats().ties, 1);
  });

  it('order seeded: one call per pair, the order drawn from the seeded RNG (same seed, same orders; both orders occur)', async () => {
    const firstsOf = async (seed: number) => {
      const s = await startFake(chatAnswer(longer));
      servers.push(s);
      const b = judgeBackend(options({ baseUrl: s.url, order: 'seeded' }, { seed }), resilient());
      const input = Array.from({ length: 16 }, (_, i) => pair(`p${i}`, `A${i}`, `BB${i}`));
      const out = await b.scorePairs(input);
      out.forEach((r) => assert.deepEqual(r, { scoreA: -0.5, scoreB: 0.5 }), 'the verdict is mapped back whatever the order');
      assert.equal(s.bodies.length, 16);
      return s.bodies.map((body) => /\[Response 1\]\n(.*)\n/.exec((body as Body).messages[1]!.content)![1]!.startsWith('A')).sort();
    };
    const one = await firstsOf(5);
    assert.deepEqual(await firstsOf(5), one);
    assert.ok(one.includes(true) && one.includes(false));
  });
});

describe('judge: no verdict and garbage', () => {
  it('an answer without a verdict → the pair is unscored with RM_NO_VERDICT (not a tie), counted', async () => {
    const { b } = await setup(() => 'I think the first one is better.');
    const [r] = await b.scorePairs([pair('p', 'a', 'b')]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_NO_VERDICT', JSON.stringify(r));
    assert.match(r.failure.message, /has no \[\[1\]\], \[\[2\]\] or \[\[TIE\]\]: "I think the first one is better\."/);
    assert.equal(b.stats().noVerdict, 2);
    assert.equal(b.stats().asked, 2);
    assert.equal(b.stats().ties, 0);
    assert.equal(b.stats().failures, 0, 'an answer is not an RM failure: the breaker does not count it');
  });

  it('one order without a verdict is enough to leave the pair unscored (half a vote would bring the position bias back)', async () => {
    const { b } = await setup((first) => (first === 'a' ? '**Verdict:** [[1]]' : 'Both are fine.'));
    const [r] = await b.scorePairs([pair('p', 'a', 'b')]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_NO_VERDICT');
    assert.match(r.failure.message, /^the B-first answer/);
    assert.equal(b.stats().noVerdict, 1);
  });

  it('an answer cut at the token limit says so', async () => {
    const f = await openAi({ content: () => 'Let me think step by step about the first', finishReason: 'length' });
    const b = judgeBackend(options({ url: f.endpoint, apiKeyEnv: KEY_ENV, order: 'seeded', maxTokens: 16 }), resilient());
    const [r] = await b.scorePairs([pair('p', 'a', 'b')]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_NO_VERDICT');
    assert.match(r.failure.message, /finish_reason "length": cut at max_completion_tokens = 16/);
  });

  it('a reply without choices[0].message.content → RM_BAD_RESPONSE (the pair is unscored, not a tie)', async () => {
    const { s, b } = await setup(longer);
    s.mode = { kind: 'garbage', body: '{"object":"error","message":"overloaded"}' };
    const [r] = await b.scorePairs([pair('p', 'a', 'b')]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE');
  });
});

describe('judge: config', () => {
  const bad = (raw: Record<string, unknown>, field: RegExp, message?: RegExp) =>
    assert.throws(
      () => parseScorers({ [rm]: { backend: 'judge', model: 'm', ...raw } }, arms),
      (e: unknown) => {
        assert.ok(isRouterError(e, 'RR_INVALID_CONFIG'), String(e));
        assert.match(String(e.field), field);
        if (message) assert.match(e.message, message);
        assert.ok(!leaks(e.message, KEY), 'the error never echoes a key');
        return true;
      },
    );
  const arms = testSettings().arms;
  const rm = arms[0]!;

  it('fills the defaults: max_completion_tokens 512, temperature 0, the key (if any) as Bearer in authorization', () => {
    const c = parseScorers({ [rm]: { backend: 'judge', baseUrl: 'http://10.0.0.7:8000', model: 'm' } }, arms)[rm]!;
    assert.ok(c.backend === 'judge');
    assert.equal(c.endpoint, 'http://10.0.0.7:8000/v1/chat/completions');
    assert.deepEqual(
      [c.tokenParam, c.maxTokens, c.temperature, c.apiKeyHeader, c.order],
      ['max_completion_tokens', 512, 0, 'authorization', 'both'],
    );
    assert.deepEqual(c.headers, {});
    assert.equal(c.apiKeyEnv, undefined);
    assert.equal(c.maxPairs, 256, 'the common options still apply');
  });

  it('url is used as is; baseUrl ending in /v1 takes /chat/completions (the SDK convention), one without /v1 takes /v1/chat/completions (the old form)', () => {
    const azure = 'https://res.openai.azure.example/openai/deployments/judge-4o/chat/completions?api-version=2024-10-21';
    assert.equal(parseJudgeConfig({ url: azure, model: 'm' }, 'j').endpoint, azure);
    assert.equal(judgeEndpoint('https://api.example/v1'), 'https://api.example/v1/chat/completions');
    assert.equal(judgeEndpoint('https://api.example/v1/'), 'https://api.example/v1/chat/completions');
    assert.equal(judgeEndpoint('http://10.0.0.7:8000'), 'http://10.0.0.7:8000/v1/chat/completions');
    assert.equal(judgeEndpoint('http://10.0.0.7:8000/'), 'http://10.0.0.7:8000/v1/chat/completions');
    assert.equal(judgeEndpoint('https://gw.example/judge'), 'https://gw.example/judge/v1/chat/completions');
  });

  it('refuses a key in loop.json, naming the two places a key may come from and never echoing it', () => {
    bad({ baseUrl: 'http://x/v1', apiKey: KEY }, /\.apiKey$/, /apiKeyEnv.*apiKeyFile/);
    bad({ baseUrl: 'http://x/v1', headers: { Authorization: `Bearer ${KEY}` } }, /\.headers\["Authorization"\]$/, /apiKeyHeader/);
    bad({ baseUrl: 'http://x/v1', apiKeyEnv: KEY_ENV, apiKeyHeader: 'api-key', headers: { 'api-key': KEY } }, /\.headers\["api-key"\]$/);
    bad(
      { baseUrl: 'http://x/v1', apiKeyEnv: KEY_ENV, apiKeyHeader: 'x-team-key', headers: { 'X-Team-Key': KEY } },
      /\.headers\["X-Team-Key"\]$/,
    );
    bad({ url: `https://user:${KEY}@api.example/v1/chat/completions` }, /\.url$/, /credentials/);
    bad({ url: `https://api.example/v1/chat/completions?key=${KEY}` }, /\.url$/, /credential/);
  });

  it('refuses every other bad value, naming its field', () => {
    bad({}, /\.url$/, /url .*or baseUrl/);
    bad({ url: 'http://x/c', baseUrl: 'http://x/v1' }, /\]$/, /not both/);
    bad({ url: 'not a url' }, /\.url$/);
    bad({ url: 'ftp://x/c' }, /\.url$/, /http/);
    bad({ baseUrl: 'http://x/v1?api-version=1' }, /\.baseUrl$/, /give the full endpoint as url/);
    bad({ baseUrl: 'http://x/v1', apiKeyEnv: 'A', apiKeyFile: '/k' }, /\]$/, /not both/);
    bad({ baseUrl: 'http://x/v1', apiKeyEnv: 'NOT-A-NAME' }, /\.apiKeyEnv$/);
    bad({ baseUrl: 'http://x/v1', apiKeyHeader: 'api-key' }, /\.apiKeyHeader$/, /no key is given/);
    bad({ baseUrl: 'http://x/v1', apiKeyEnv: 'A', apiKeyHeader: 'bad header' }, /\.apiKeyHeader$/);
    bad({ baseUrl: 'http://x/v1', headers: ['x'] }, /\.headers$/);
    bad({ baseUrl: 'http://x/v1', headers: { 'x-a': 1 } }, /\.headers\["x-a"\]$/);
    bad({ baseUrl: 'http://x/v1', headers: { 'x-a': 'a\r\nb: c' } }, /\.headers\["x-a"\]$/);
    bad({ baseUrl: 'http://x/v1', headers: { 'content-type': 'text/plain' } }, /\.headers\["content-type"\]$/);
    bad({ baseUrl: 'http://x/v1', tokenParam: 'max_new_tokens' }, /\.tokenParam$/);
    bad({ baseUrl: 'http://x/v1', maxTokens: 0 }, /\.maxTokens$/);
    bad({ baseUrl: 'http://x/v1', maxTokens: 1.5 }, /\.maxTokens$/);
    bad({ baseUrl: 'http://x/v1', temperature: 3 }, /\.temperature$/);
    bad({ baseUrl: 'http://x/v1', model: '' }, /\.model$/);
    bad({ baseUrl: 'http://x/v1', order: 'random' }, /\.order$/);
  });

  it('the key is read when the backend is built: a missing variable, a missing or empty file is RR_INVALID_CONFIG naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-judge-'));
    try {
      const empty = join(dir, 'empty');
      writeFileSync(empty, '\n');
      for (const [raw, field] of [
        [{ apiKeyEnv: 'RR_TEST_NO_SUCH_VARIABLE' }, /\.apiKeyEnv$/],
        [{ apiKeyFile: join(dir, 'missing') }, /\.apiKeyFile$/],
        [{ apiKeyFile: empty }, /\.apiKeyFile$/],
      ] as const)
        assert.throws(
          () => judgeBackend(options({ baseUrl: 'http://127.0.0.1:1/v1', ...raw }), resilient()),
          (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && field.test(String(e.field)),
        );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('redactSecret replaces the key and any 8 characters of it in a row (a body cut short), and nothing else', () => {
    assert.equal(redactSecret(`x ${KEY} y`, KEY), 'x [redacted] y');
    assert.equal(
      redactSecret(`{"message":"Incorrect API key provided: ${KEY.slice(0, 20)}`, KEY),
      '{"message":"Incorrect API key provided: [redacted]',
    );
    assert.equal(redactSecret(`tail ${KEY.slice(-9)}.`, KEY), 'tail [redacted].');
    assert.equal(redactSecret('HTTP 401: no key here', KEY), 'HTTP 401: no key here');
    assert.equal(redactSecret('abc', ''), 'abc');
  });
});

describe('judge: against an OpenAI-style server (key, endpoint, markdown answers)', () => {
  it('Bearer key from apiKeyEnv, baseUrl ending in /v1, max_completion_tokens: markdown verdicts are all scored', async () => {
    let i = 0;
    const f = await openAi({ content: (a, b) => markdownVerdict(a.length > b.length ? '1' : a.length < b.length ? '2' : 'TIE', i++) });
    const b = judgeBackend(options({ baseUrl: `${f.origin}/v1`, apiKeyEnv: KEY_ENV }), resilient());
    await b.preflight!();
    const out = await b.scorePairs([pair('p1', 'a long answer', 'short'), pair('p2', 'x', 'a longer one'), pair('p3', 'same', 'same')]);
    assert.deepEqual(out, [
      { scoreA: 0.5, scoreB: -0.5 },
      { scoreA: -0.5, scoreB: 0.5 },
      { scoreA: 0, scoreB: 0 },
    ]);
    assert.equal(f.answered, 7, 'the preflight and 2 × 3 questions');
    for (const r of f.requests) {
      assert.equal(r.path, '/v1/chat/completions');
      assert.equal(r.headers.authorization, `Bearer ${KEY}`);
      assert.equal(r.body.max_completion_tokens, 512);
      assert.equal(r.body.max_tokens, undefined);
    }
    assert.equal(b.stats().noVerdict, 0);
    await b.close!();
  });

  it('Azure style: the full deployment url with its api-version, the key in the api-key header, extra headers', async () => {
    const path = '/openai/deployments/judge-4o/chat/completions?api-version=2024-10-21';
    const f = await openAi({ path, keyHeader: 'api-key', content: (a, b) => markdownVerdict(a.length >= b.length ? '1' : '2', a.length) });
    const b = judgeBackend(
      options({ url: `${f.origin}${path}`, apiKeyEnv: KEY_ENV, apiKeyHeader: 'api-key', headers: { 'X-Team': 'rlhf' } }),
      resilient(),
    );
    await b.preflight!();
    assert.deepEqual(await b.scorePairs([pair('p', 'the longer one', 'short')]), [{ scoreA: 0.5, scoreB: -0.5 }]);
    const r = f.requests.at(-1)!;
    assert.equal(r.path, path);
    assert.equal(r.headers['api-key'], KEY);
    assert.equal(r.headers.authorization, undefined, 'only the configured header carries the key');
    assert.equal(r.headers['x-team'], 'rlhf');
  });

  it('the key from apiKeyFile (a trailing newline trimmed)', async () => {
    const f = await openAi();
    const dir = mkdtempSync(join(tmpdir(), 'rr-judge-'));
    try {
      writeFileSync(join(dir, 'key'), `${KEY}\n`);
      const b = judgeBackend(options({ url: f.endpoint, apiKeyFile: join(dir, 'key') }), resilient());
      await b.preflight!();
      assert.deepEqual(await b.scorePairs([pair('p', 'aa', 'b')]), [{ scoreA: 0.5, scoreB: -0.5 }]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a reasoning model: max_tokens is refused at preflight (RR_RM quoting the server); the defaults and temperature null are accepted', async () => {
    const f = await openAi();
    const refused = judgeBackend(options({ url: f.endpoint, apiKeyEnv: KEY_ENV, model: 'o3-mini', tokenParam: 'max_tokens' }), resilient());
    await assert.rejects(refused.preflight!(), (e: unknown) => {
      assert.ok(isRouterError(e, 'RR_RM'));
      assert.match(e.message, /HTTP 400: the request was refused .*max_tokens = 512/);
      assert.match(e.message, /The server said: Unsupported parameter: 'max_tokens' is not supported with this model/);
      return true;
    });
    const temp0 = judgeBackend(options({ url: f.endpoint, apiKeyEnv: KEY_ENV, model: 'o3-mini' }), resilient());
    await assert.rejects(
      temp0.preflight!(),
      (e: unknown) => isRouterError(e, 'RR_RM') && /'temperature' does not support 0/.test(e.message),
    );
    const ok = judgeBackend(options({ url: f.endpoint, apiKeyEnv: KEY_ENV, model: 'o3-mini', temperature: null }), resilient());
    await ok.preflight!();
    assert.deepEqual(await ok.scorePairs([pair('p', 'aa', 'b')]), [{ scoreA: 0.5, scoreB: -0.5 }]);
    const last = f.requests.at(-1)!.body;
    assert.equal(last.max_completion_tokens, 512);
    assert.ok(!('temperature' in last) && !('max_tokens' in last));
  });
});

describe('judge: preflight', () => {
  it('401 without a key: RR_RM naming the RM, the URL and the status, not retriable', async () => {
    const f = await openAi();
    const b = judgeBackend(options({ url: f.endpoint }), resilient());
    await assert.rejects(b.preflight!(), (e: unknown) => {
      assert.ok(isRouterError(e, 'RR_RM'));
      assert.equal(e.retriable, false);
      assert.ok(e.message.includes('RM "judge-rm"') && e.message.includes(f.endpoint), e.message);
      assert.match(e.message, /HTTP 401: the API key was refused or is missing; this scorer sends no key \(set apiKeyEnv or apiKeyFile\)/);
      assert.match(e.message, /You didn't provide an API key/);
      return true;
    });
  });

  it('401 for a wrong key that the server echoes: the key is in no message, error or log line', async () => {
    const f = await openAi();
    const { log, lines } = captureLog();
    const b = judgeBackend(options({ url: f.endpoint, apiKeyEnv: WRONG_ENV }, { log }), resilient());
    const err = await b.preflight!().then(
      () => assert.fail('preflight passed'),
      (e: unknown) => e as Error,
    );
    assert.ok(isRouterError(err, 'RR_RM'));
    assert.match(err.message, /this scorer sends the key from \$RR_TEST_JUDGE_WRONG_KEY in the authorization header/);
    assert.match(err.message, /Incorrect API key provided: \[redacted\]/);
    assert.ok(f.requests[0]!.headers.authorization === `Bearer ${WRONG}`, 'the server did get the key');
    // The same key mid-run (revoked after the start): the pair's failure message is redacted too.
    const [r] = await judgeBackend(options({ url: f.endpoint, apiKeyEnv: WRONG_ENV, order: 'seeded' }), resilient()).scorePairs([
      pair('p', 'a', 'b'),
    ]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE' && /^HTTP 401/.test(r.failure.message));
    for (const text of [err.message, JSON.stringify(err), r.failure.message, JSON.stringify(b.stats()), ...lines])
      assert.ok(!leaks(text, WRONG), `key in: ${text}`);
  });

  it('404 (a baseUrl without /v1 where the server is not at the root): RR_RM saying how baseUrl is read', async () => {
    const f = await openAi({ path: '/v1beta/openai/chat/completions' });
    const b = judgeBackend(options({ baseUrl: `${f.origin}/v1beta/openai`, apiKeyEnv: KEY_ENV }), resilient());
    await assert.rejects(
      b.preflight!(),
      (e: unknown) =>
        isRouterError(e, 'RR_RM') &&
        e.message.includes(`${f.origin}/v1beta/openai/v1/chat/completions`) &&
        /HTTP 404: wrong URL.*give the full endpoint as url/.test(e.message),
    );
    const fixed = judgeBackend(options({ url: `${f.origin}/v1beta/openai/chat/completions`, apiKeyEnv: KEY_ENV }), resilient());
    await fixed.preflight!();
  });

  it('503 or a refused connection at preflight is a warning: the scorer starts anyway', async () => {
    const f = await openAi();
    f.mode = { kind: 'status', status: 503 };
    const { log, lines } = captureLog();
    await judgeBackend(options({ url: f.endpoint, apiKeyEnv: KEY_ENV }, { log }), resilient()).preflight!();
    const down = await openAi();
    const deadUrl = down.endpoint;
    await down.close();
    await judgeBackend(options({ url: deadUrl, apiKeyEnv: KEY_ENV }, { log }), resilient()).preflight!();
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /"level":"warn".*judge preflight failed.*HTTP 503/);
    assert.match(lines[1]!, /"level":"warn".*judge preflight failed.*request failed: ECONNREFUSED/);
    for (const l of lines) assert.ok(!leaks(l, KEY));
  });
});

describe('judge: the scorer app and its supervisor', () => {
  const arms = testSettings().arms;
  const rm = arms[1]!;

  it('startScorerApp rejects with RR_RM naming the RM and the URL when the judge refuses the key', async () => {
    const f = await openAi();
    const settings = testSettings({ prefix: 'j401.', scorers: { [rm]: { backend: 'judge', url: f.endpoint, model: 'gpt-judge' } } });
    const bus = createMemoryBus();
    try {
      await assert.rejects(
        startScorerApp({ bus, codec: new SingleObjectCodec(), clock: counterClock(), log: captureLog().log, settings }, { rm }),
        (e: unknown) =>
          isRouterError(e, 'RR_RM') &&
          e.message.includes(JSON.stringify(rm)) &&
          e.message.includes(f.endpoint) &&
          /HTTP 401/.test(e.message),
      );
    } finally {
      await bus.close();
    }
  });

  it('under the supervisor, a refused key ends the scorer at once with a clear message (no restart loop), the key in none of it', async () => {
    const f = await openAi();
    const settings = testSettings({
      prefix: 'jsup.',
      scorers: { [rm]: { backend: 'judge', url: f.endpoint, model: 'gpt-judge', apiKeyEnv: WRONG_ENV } },
    });
    const { log, lines } = captureLog();
    const sup = new Supervisor({
      name: `scorer:${rm}`,
      outageLimitMs: 600_000,
      log,
      now: () => 0,
      sleep: async () => {},
      openBus: () => createMemoryBus(),
      startApp: (bus) => startScorerApp({ bus: bus as Bus, codec: new SingleObjectCodec(), clock: counterClock(), log, settings }, { rm }),
    });
    const exit = await sup.run();
    assert.equal(exit.code, 1);
    assert.equal(exit.reason, 'non-retriable');
    assert.equal(exit.restarts, 0);
    assert.equal(f.requests.length, 1, 'one preflight request, then the process ends');
    assert.ok(exit.message.includes(rm) && exit.message.includes(f.endpoint) && /HTTP 401/.test(exit.message), exit.message);
    for (const text of [exit.message, JSON.stringify(exit), ...lines]) assert.ok(!leaks(text, WRONG), `key in: ${text}`);
  });
});

describe('judge: in a loop (in-process bus, the other RMs simulated)', { timeout: 120_000 }, () => {
  const arms = testSettings().arms;
  const rm = arms[1]!;

  async function loop(prefix: string, content: (first: string, second: string) => string) {
    const path = '/openai/deployments/judge-4o/chat/completions?api-version=2024-10-21';
    const f = await openAi({ path, keyHeader: 'api-key', content });
    const settings = testSettings({
      prefix,
      scorers: { [rm]: { backend: 'judge', url: `${f.origin}${path}`, model: 'gpt-judge', apiKeyEnv: KEY_ENV, apiKeyHeader: 'api-key' } },
    });
    const bus = createMemoryBus();
    const codec = new SingleObjectCodec();
    const { log, lines } = captureLog();
    // /metrics of the whole loop (src/health counts dead letters by their reason).
    const health = await startAppHealth({ app: 'loop', bus, codec, prefix, port: 0, maxLag: 0, processMetrics: false });
    try {
      const summary = await runLoop({ bus: health.bus, settings, batches: 3, clock: counterClock(), log, codec });
      const scores = (await bus.readToEnd(topicName(prefix, 'scores')))
        .map((r) => codec.decodeSync('scores', r.value!) as Score)
        .filter((s) => s.rm === rm);
      const dlq = (await bus.readToEnd(topicName(prefix, 'dlq'))).map((r) => codec.decodeSync('dlq', r.value!) as DeadLetter);
      for (const text of [JSON.stringify(summary), ...lines, ...dlq.map((d) => d.message)]) assert.ok(!leaks(text, KEY), `key in: ${text}`);
      const deadLettersMetric = async (reason: string): Promise<number | undefined> => {
        const page = await (await fetch(`http://127.0.0.1:${health.server.port}/metrics`)).text();
        const line = page.split('\n').find((l) => l.startsWith('rr_dead_letters_total{') && l.includes(`reason="${reason}"`));
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      await waitFor(async () => (await deadLettersMetric('RM_NO_VERDICT')) === summary.deadLetters.RM_NO_VERDICT, {
        message: 'rr_dead_letters_total{reason="RM_NO_VERDICT"} counts every RM_NO_VERDICT dead letter',
      });
      return { f, summary, scores, dlq, st: summary.stats[`scorer:${rm}`]! };
    } finally {
      await health.close();
      await bus.close();
    }
  }

  it('markdown answers, the key from apiKeyEnv, the endpoint as url: every judged pair scored, no RM_* dead letter', async () => {
    let i = 0;
    // The longer response wins, the lexically greater on equal lengths: the same verdict whichever order it is shown in.
    const better = (a: string, b: string) => (a.length !== b.length ? a.length > b.length : a > b);
    const { f, summary, scores, st } = await loop('jmd.', (a, b) => markdownVerdict(a === b ? 'TIE' : better(a, b) ? '1' : '2', i++));
    assert.equal(summary.batches, 3);
    assert.deepEqual(summary.deadLetters, {});
    const pairs = scores.flatMap((s) => s.pairs);
    assert.ok(pairs.length > 0, 'the judge was routed pairs');
    assert.ok(pairs.every((p) => p.unscored === null && Math.abs(p.scoreA - p.scoreB) === 1));
    assert.ok(scores.every((s) => s.modelVersion === 'gpt-judge'));
    assert.equal(st.asked, 2 * pairs.length);
    assert.equal(st.noVerdict, 0);
    assert.equal(f.answered, 1 + st.asked, 'the preflight and every question');
  });

  it('answers without a verdict: each judged pair unscored, counted as RM_NO_VERDICT in the summary and in /metrics (and nothing else)', async () => {
    const { summary, scores, dlq, st } = await loop('jnv.', () => 'Both responses have merits; it depends on what the user wants.');
    const pairs = scores.flatMap((s) => s.pairs);
    assert.ok(pairs.length > 0, 'the judge was routed pairs');
    assert.ok(pairs.every((p) => p.unscored === 'RM_NO_VERDICT' && Number.isNaN(p.scoreA)));
    assert.deepEqual(summary.deadLetters, { RM_NO_VERDICT: pairs.length });
    assert.equal(st.unscored, pairs.length);
    assert.equal(st.noVerdict, 2 * pairs.length);
    assert.ok(
      dlq.every(
        (d) => d.reason === 'RM_NO_VERDICT' && d.stage === `scorer.${rm}` && /unscored by RM .*answer has no \[\[1\]\]/.test(d.message),
      ),
    );
  });
});
