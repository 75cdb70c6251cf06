/**
 * The `judge` backend: a pairwise LLM judge over an OpenAI-compatible chat-completions API
 * (POST <baseUrl>/v1/chat/completions, `choices[0].message.content` read back).
 *
 * Prompt (JUDGE_SYSTEM + judgeUser below): the question, then the two responses labelled
 * "Response 1" and "Response 2"; the judge must end its answer with exactly one line `[[1]]`,
 * `[[2]]` or `[[TIE]]`. parseVerdict is strict: the last non-empty line must be one of those three
 * (case-insensitive for TIE); anything else is unparseable, which counts as a tie and is counted.
 *
 * Position bias: `order: 'both'` asks twice (A as Response 1, then B as Response 1) and averages
 * the two votes; `order: 'seeded'` asks once, in an order drawn from the seeded RNG per pair.
 * The vote v ∈ [−1, 1] (+1: A better) becomes scoreA = v/2, scoreB = −v/2, so a tie has gap 0
 * (never decisive) and a clear win has gap 1.
 */
import { CounterRng } from '../core/rng.ts';
import { JsonPoster } from './post.ts';
import { Resilient, RmCallError } from './resilience.ts';
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

/** The verdict of a judge's reply, or null when the last non-empty line is not exactly one of the three. */
export function parseVerdict(content: string): JudgeVerdict | null {
  const lines = content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1];
  if (last === '[[1]]') return 1;
  if (last === '[[2]]') return 2;
  if (last !== undefined && /^\[\[tie\]\]$/i.test(last)) return 'tie';
  return null;
}

export interface JudgeOptions {
  baseUrl: string;
  model: string;
  order: 'both' | 'seeded';
  seed: number;
  run: string;
  maxTokens: number;
  headers?: Record<string, string>;
}

export function judgeBackend(o: JudgeOptions, res: Resilient): RmBackend {
  const rng = new CounterRng(o.seed, `judge:${o.run}`);
  const stats = { asked: 0, unparseable: 0, ties: 0 };
  const poster = new JsonPoster(`${o.baseUrl.replace(/\/$/, '')}/v1/chat/completions`, res.o.concurrency, o.headers);

  async function ask(key: string, question: string, first: string, second: string): Promise<JudgeVerdict> {
    const body = {
      model: o.model,
      temperature: 0,
      max_tokens: o.maxTokens,
      messages: [
        { role: 'system', content: JUDGE_SYSTEM },
        { role: 'user', content: judgeUser(question, first, second) },
      ],
    };
    const content = await res.call(key, async (signal) => {
      const reply = (await poster.post(body, signal)) as { choices?: { message?: { content?: unknown } }[] } | null;
      const c = reply?.choices?.[0]?.message?.content;
      if (typeof c !== 'string') throw new RmCallError('RM_BAD_RESPONSE', 'chat reply has no choices[0].message.content string', false);
      return c;
    });
    stats.asked++;
    const v = parseVerdict(content);
    if (v === null) stats.unparseable++;
    return v ?? 'tie';
  }

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
        v = (vote(ab, true) + vote(ba, false)) / 2;
      } else {
        const aFirst = rng.pairUniform(p.pairId, 0, 0x1d6e) < 0.5;
        v = vote(await ask(p.pairId, q, aFirst ? p.responseA : p.responseB, aFirst ? p.responseB : p.responseA), aFirst);
      }
      if (v === 0) stats.ties++;
      return { scoreA: v / 2, scoreB: 0 - v / 2 }; // 0 − 0 = +0: a tie is (0, 0), never −0
    } catch (e) {
      const err = e instanceof RmCallError ? e : new RmCallError('RM_UNAVAILABLE', String(e), false);
      return { failure: { code: err.code, message: err.message } };
    }
  }

  return {
    kind: 'judge',
    modelVersion: o.model,
    scorePairs: (pairs) => Promise.all(pairs.map(one)),
    stats: () => ({ ...res.stats, ...stats, breakerOpen: res.breaker.state === 'open' ? 1 : 0 }),
    async close() {
      poster.close();
    },
  };
}
