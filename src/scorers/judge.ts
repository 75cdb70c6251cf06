/**
 * The `judge` backend: a pairwise LLM judge over an OpenAI-compatible chat-completions API. Every
 * request is a POST to the configured endpoint (judgeConfig.ts: `url` as is, or built from `baseUrl`)
 * with `{model, temperature, <tokenParam>: maxTokens, messages}`; `choices[0].message.content` is read
 * back. The API key (from `apiKeyEnv` or `apiKeyFile`, read here when the backend is built) goes in
 * `apiKeyHeader` (`authorization: Bearer <key>` by default) and is redacted from every message this
 * backend writes (failures, errors, logs), fragments of it included.
 *
 * Prompt (JUDGE_SYSTEM + judgeUser below): the question, then the two responses labelled
 * "Response 1" and "Response 2"; the judge must end its answer with `[[1]]`, `[[2]]` or `[[TIE]]`.
 * parseVerdict takes the last of those three tokens anywhere in the answer (TIE in any case), so
 * markdown around it is fine (`**Verdict:** [[1]]`, `` `[[2]]` ``, `[[2]] because …`, a fenced block).
 * An answer with none is counted (`noVerdict`) and its pair is unscored with RM_NO_VERDICT: never a tie.
 *
 * Position bias: `order: 'both'` asks twice (A as Response 1, then B as Response 1) and averages
 * the two votes; `order: 'seeded'` asks once, in an order drawn from the seeded RNG per pair.
 * The vote v ∈ [−1, 1] (+1: A better) becomes scoreA = v/2, scoreB = −v/2, so a tie has gap 0
 * (never decisive) and a clear win has gap 1.
 *
 * preflight(), once before the scorer consumes: one judge request. A 4xx (but 408 and 429) means every
 * request would fail the same way (a refused or missing key, a wrong URL or model, a refused
 * parameter): a RouterError RR_RM naming the RM, the endpoint and the status, which the supervisor does
 * not retry. A 5xx, 429, timeout or refused connection is logged as a warning: the RM may come up later.
 */
import { readFileSync } from 'node:fs';
import { RouterError } from '../core/errors.ts';
import { CounterRng } from '../core/rng.ts';
import { Secret } from '../security/secret.ts';
import type { JudgeConfig } from './judgeConfig.ts';
import { JsonPoster, loadTls, type TlsFiles } from './post.ts';
import { asCallError, Resilient, RmCallError } from './resilience.ts';
import { promptText } from './text.ts';
import type { PairInput, PairResult, RmBackend } from './types.ts';

export const JUDGE_SYSTEM =
  "You are a strict judge of answers to a user's question. Compare the two responses for correctness, " +
  'helpfulness and safety. Think briefly if you need to, then end your reply with exactly one line: [[1]] if Response 1 is better, ' +
  '[[2]] if Response 2 is better, or [[TIE]] if neither is better.';

export function judgeUser(question: string, first: string, second: string): string {
  return `[Question]\n${question}\n\n[Response 1]\n${first}\n\n[Response 2]\n${second}\n\nWhich response is better? End with [[1]], [[2]] or [[TIE]].`;
}

export type JudgeVerdict = 1 | 2 | 'tie';

/** The last `[[1]]`, `[[2]]` or `[[TIE]]` (any case) anywhere in a judge's answer, or null when there is none. */
export function parseVerdict(content: string): JudgeVerdict | null {
  let last: string | undefined;
  for (const m of content.matchAll(/\[\[(1|2|tie)\]\]/gi)) last = m[1];
  if (last === undefined) return null;
  return last === '1' ? 1 : last === '2' ? 2 : 'tie';
}

/** What the judge logs (the scorer's logger). */
export interface JudgeLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface JudgeOptions extends JudgeConfig {
  seed: number;
  run: string;
  /** The RM's id, named in errors and logs. */
  rm?: string;
  log?: JudgeLog;
  /** Where `apiKeyEnv` is looked up (default process.env; tests). */
  env?: Readonly<Record<string, string | undefined>>;
  /** An https judge's client certificate (the common `tls` of every scorer config). */
  tls?: TlsFiles;
}

const REDACTED = '[redacted]';

/**
 * `text` with every run of at least min(8, |secret|) characters that occurs in `secret` replaced:
 * the whole secret, and also a fragment of it (a server echoing the key in an error body that the
 * client cut short would otherwise leak its first characters).
 */
export function redactSecret(text: string, secret: string): string {
  if (secret === '') return text;
  const min = Math.min(8, secret.length);
  let out = '';
  for (let i = 0; i < text.length;) {
    let len = secret.includes(text.slice(i, i + min)) && i + min <= text.length ? min : 0;
    while (len > 0 && i + len < text.length && len < secret.length && secret.includes(text.slice(i, i + len + 1))) len++;
    if (len >= min) {
      out += REDACTED;
      i += len;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** The key named by the config, read now; RR_INVALID_CONFIG naming the field (never the value) when it is missing. */
function readKey(o: JudgeOptions, field: string): Secret | undefined {
  if (o.apiKeyEnv !== undefined) {
    const v = (o.env ?? process.env)[o.apiKeyEnv]?.trim();
    if (v === undefined || v === '')
      throw new RouterError('RR_INVALID_CONFIG', `${field}.apiKeyEnv: the environment variable ${o.apiKeyEnv} is not set or is empty`, {
        field: `${field}.apiKeyEnv`,
      });
    return new Secret(v);
  }
  if (o.apiKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.apiKeyFile, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
      throw new RouterError('RR_INVALID_CONFIG', `${field}.apiKeyFile: cannot read ${o.apiKeyFile} (${code})`, {
        field: `${field}.apiKeyFile`,
      });
    }
    const v = text.trim();
    if (v === '')
      throw new RouterError('RR_INVALID_CONFIG', `${field}.apiKeyFile: ${o.apiKeyFile} is empty`, { field: `${field}.apiKeyFile` });
    return new Secret(v);
  }
  return undefined;
}

/** The HTTP status of a failed call: RmCallError.status where the client sets it, else the `HTTP <status>` its message starts with (post.ts). */
function httpStatus(err: RmCallError): number | undefined {
  const own = (err as { status?: unknown }).status;
  if (typeof own === 'number') return own;
  const m = /^HTTP (\d{3})\b/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

/** What the server said in an error body (`{"error": {"message": ...}}`, OpenAI's shape), else the text post.ts kept of it. */
function serverSays(message: string): string {
  const body = message.replace(/^HTTP \d{3}:?\s*/, '');
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown }) ?? {};
    const m = typeof e.error === 'object' && e.error !== null ? e.error.message : (e.error ?? e.message);
    if (typeof m === 'string' && m !== '') return m;
  } catch {
    // cut short (post.ts keeps the first characters of a body) or not JSON: its "message" string if it has one
  }
  const cut = /"message"\s*:\s*"((?:[^"\\]|\\.)*)/.exec(body)?.[1];
  return cut !== undefined && cut !== '' ? `${cut.replace(/\\(["\\/])/g, '$1')}…` : body;
}

type Answer = { verdict: JudgeVerdict | null; content: string; finish: unknown };

export function judgeBackend(o: JudgeOptions, res: Resilient): RmBackend {
  const rm = o.rm ?? o.model;
  const field = `scorers[${JSON.stringify(rm)}]`;
  const key = readKey(o, field);
  const redact = (t: string): string => (key === undefined ? t : redactSecret(t, key.reveal()));
  const headers = { ...o.headers };
  if (key !== undefined) headers[o.apiKeyHeader] = o.apiKeyHeader === 'authorization' ? `Bearer ${key.reveal()}` : key.reveal();
  const rng = new CounterRng(o.seed, `judge:${o.run}`);
  const stats = { asked: 0, noVerdict: 0, ties: 0 };
  const poster = new JsonPoster(o.endpoint, res.o.concurrency, headers, {
    tls: loadTls(o.tls, `${field}.tls`),
    rm,
    now: () => res.clock.now(),
  });
  const keySent =
    o.apiKeyEnv !== undefined
      ? `this scorer sends the key from $${o.apiKeyEnv} in the ${o.apiKeyHeader} header`
      : o.apiKeyFile !== undefined
        ? `this scorer sends the key from ${o.apiKeyFile} in the ${o.apiKeyHeader} header`
        : 'this scorer sends no key (set apiKeyEnv or apiKeyFile)';

  const request = (question: string, first: string, second: string) => ({
    model: o.model,
    ...(o.temperature !== null ? { temperature: o.temperature } : {}),
    [o.tokenParam]: o.maxTokens,
    messages: [
      { role: 'system', content: JUDGE_SYSTEM },
      { role: 'user', content: judgeUser(question, first, second) },
    ],
  });

  /** The answer of one reply; RM_BAD_RESPONSE when it has no content string. */
  const answerOf = (reply: unknown): Answer => {
    const choice = (reply as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] } | null)?.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== 'string') throw new RmCallError('RM_BAD_RESPONSE', 'chat reply has no choices[0].message.content string', false);
    return { verdict: parseVerdict(content), content, finish: choice?.finish_reason };
  };

  async function ask(callKey: string, question: string, first: string, second: string): Promise<Answer> {
    const body = request(question, first, second);
    const answer = await res.call(callKey, async (signal) => answerOf(await poster.post(body, signal)));
    stats.asked++;
    if (answer.verdict === null) stats.noVerdict++;
    return answer;
  }

  const noVerdict = (a: Answer, which: string): RmCallError => {
    const cut = a.finish === 'length' ? ` (finish_reason "length": cut at ${o.tokenParam} = ${o.maxTokens})` : '';
    const tail = a.content.length > 80 ? `…${a.content.slice(-80)}` : a.content;
    return new RmCallError('RM_NO_VERDICT', `${which}answer has no [[1]], [[2]] or [[TIE]]${cut}: ${JSON.stringify(tail)}`, false);
  };

  // +1 when A wins, −1 when B wins, 0 for a tie; `aFirst` says which response was "Response 1".
  const vote = (v: JudgeVerdict, aFirst: boolean): number => (v === 'tie' ? 0 : (v === 1) === aFirst ? 1 : -1);

  async function one(p: PairInput): Promise<PairResult> {
    const q = promptText(p.prompt, p.messages);
    try {
      let v: number;
      if (o.order === 'both') {
        const [ab, ba] = await Promise.all([
          ask(`${p.pairId}:ab`, q, p.responseA, p.responseB),
          ask(`${p.pairId}:ba`, q, p.responseB, p.responseA),
        ]);
        if (ab.verdict === null) throw noVerdict(ab, 'the A-first ');
        if (ba.verdict === null) throw noVerdict(ba, 'the B-first ');
        v = (vote(ab.verdict, true) + vote(ba.verdict, false)) / 2;
      } else {
        const aFirst = rng.pairUniform(p.pairId, 0, 0x1d6e) < 0.5;
        const a = await ask(p.pairId, q, aFirst ? p.responseA : p.responseB, aFirst ? p.responseB : p.responseA);
        if (a.verdict === null) throw noVerdict(a, '');
        v = vote(a.verdict, aFirst);
      }
      if (v === 0) stats.ties++;
      return { scoreA: v / 2, scoreB: 0 - v / 2 }; // 0 − 0 = +0: a tie is (0, 0), never −0
    } catch (e) {
      const err = e instanceof RmCallError ? e : new RmCallError('RM_UNAVAILABLE', String(e), false);
      return { failure: { code: err.code, message: redact(err.message) } };
    }
  }

  async function preflight(): Promise<void> {
    const d = res.timers.deadline(res.o.timeoutMs);
    let err: RmCallError;
    try {
      const a = answerOf(await poster.post(request('Preflight check: which response names a colour?', 'Blue.', 'Seven.'), d.signal));
      o.log?.info('judge preflight: answered', { rm, url: o.endpoint, verdict: a.verdict === null ? 'none' : String(a.verdict) });
      return;
    } catch (e) {
      err = asCallError(e);
    } finally {
      d.cancel();
    }
    const status = httpStatus(err);
    if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      const why =
        status === 401 || status === 403
          ? `the API key was refused or is missing; ${keySent}`
          : status === 404
            ? 'wrong URL or model (a baseUrl without /v1 is taken as the server root: /v1/chat/completions is appended; give the full endpoint as url)'
            : `the request was refused (model ${JSON.stringify(o.model)}, ${o.tokenParam} = ${o.maxTokens}, temperature ${o.temperature ?? 'not sent'}; see tokenParam and temperature in docs/scorers.md)`;
      poster.close();
      throw new RouterError(
        'RR_RM',
        redact(
          `scorer for RM ${JSON.stringify(rm)}: the judge at ${o.endpoint} answered the preflight request with HTTP ${status}: ${why}. The server said: ${serverSays(err.message)}`,
        ),
        { field, retriable: false, rm, url: o.endpoint, status },
      );
    }
    o.log?.warn('judge preflight failed; starting anyway (the RM may come up later)', { rm, url: o.endpoint, error: redact(err.message) });
  }

  return {
    kind: 'judge',
    modelVersion: o.model,
    scorePairs: (pairs) => Promise.all(pairs.map(one)),
    stats: () => ({ ...res.stats, ...stats, breakerOpen: res.breaker.state === 'open' ? 1 : 0 }),
    preflight,
    async close() {
      poster.close();
    },
  };
}
