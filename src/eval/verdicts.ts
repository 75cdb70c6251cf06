/**
 * Recorded RM verdicts as the online stream (`reward-router eval --stream FILE`), as the authors'
 * RewardBench 2 loop uses recorded correctness: one JSON object per line and per PAIR,
 *
 *   {"id": "b0-p0-r0r1", "prompt": "b0-p0", "batch": 0, "category": "Math", "gold": "A",
 *    "context": [0.12, ...],                        // or "text": "..." (hashed bag of words)
 *    "rms": {"rm-a": {"correct": true, "margin": 0.8, "score": 1.7},
 *            "rm-b": {"chosen": 2.1, "rejected": 0.3}}}
 *
 * - `id` (unique), `category`, `rms` (every RM routed among) are required; `prompt` defaults to the
 *   id (a prompt of one pair), `gold` ("A" | "B", which response is preferred) to "A".
 * - per RM either `correct` (its label agrees with gold) with optional `margin` (|score gap| on the
 *   tie scale, default 1: always decisive) and `score` (score(A) − score(B) in its own scale), or
 *   raw `chosen` / `rejected` scores (of the gold-preferred and the other response).
 * - `batch`: on every line or on none; without it, whole prompts are packed into batches of
 *   `batchPairs` pairs in file order.
 *
 * Every problem is an `RR_INVALID_VERDICTS` error naming the line and the field. The trainer's
 * loss per kept pair is simulated from the label's correctness (the file carries no losses).
 */
import { readFileSync } from 'node:fs';
import { RouterError } from '../core/errors.ts';
import { hash64 } from '../core/rng.ts';
import type { SimBatch, SimPair, SimPrompt } from '../sim/stream.ts';

export interface VerdictRm {
  correct: boolean;
  margin: number;
  /** score(A) − score(B); > 0 iff the RM prefers response A. */
  score: number;
}

export interface VerdictLine {
  id: string;
  prompt: string;
  batch: number | null;
  category: string;
  goldA: boolean;
  context: Float64Array;
  rms: Record<string, VerdictRm>;
}

/** What the eval loop needs from an online stream. */
export interface LoopStream {
  readonly world: { readonly pool: { readonly models: readonly string[]; readonly categories: readonly string[] } };
  readonly batches: number;
  generateBatch(t: number): SimBatch;
}

function bad(source: string, line: number, field: string, message: string): never {
  throw new RouterError('RR_INVALID_VERDICTS', `${source}:${line}: ${field}: ${message}`, { source, field: `line ${line}: ${field}` });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A stand-in text encoder for lines with `text` and no `context`: a signed hashed bag of lower-case
 * words into `width` dimensions, L2-normalized. Weak (no semantics), but deterministic and honest;
 * give `context` from a real encoder for real use.
 */
export function hashedBagOfWords(text: string, width: number): Float64Array {
  const x = new Float64Array(width);
  for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (w === '') continue;
    const [h0, h1] = hash64(w);
    x[h0 % width]! += h1 & 1 ? 1 : -1;
  }
  let s = 0;
  for (const v of x) s += v * v;
  if (s > 0) for (let i = 0; i < width; i++) x[i]! /= Math.sqrt(s);
  return x;
}

function parseRm(v: unknown, source: string, line: number, field: string): VerdictRm {
  if (!isObj(v)) bad(source, line, field, 'expected an object with "correct" or "chosen"/"rejected"');
  if ('chosen' in v || 'rejected' in v) {
    if (!finite(v.chosen)) bad(source, line, `${field}.chosen`, `expected a finite number, got ${JSON.stringify(v.chosen)}`);
    if (!finite(v.rejected)) bad(source, line, `${field}.rejected`, `expected a finite number, got ${JSON.stringify(v.rejected)}`);
    const gap = v.chosen - v.rejected;
    return { correct: gap > 0, margin: Math.abs(gap), score: gap };
  }
  if (typeof v.correct !== 'boolean') bad(source, line, `${field}.correct`, `expected true or false, got ${JSON.stringify(v.correct)}`);
  const margin = v.margin === undefined ? 1 : v.margin;
  if (!finite(margin) || margin < 0) bad(source, line, `${field}.margin`, `expected a finite number ≥ 0, got ${JSON.stringify(v.margin)}`);
  if (v.score !== undefined && !finite(v.score))
    bad(source, line, `${field}.score`, `expected a finite number, got ${JSON.stringify(v.score)}`);
  // Without a score, the agreement-signed margin (scores are then "relative to gold").
  return { correct: v.correct, margin, score: v.score === undefined ? (v.correct ? margin : -margin) : (v.score as number) };
}

/** Parses and validates a verdicts file's text. `width`: the context width the router expects. */
export function parseVerdicts(text: string, source: string, models: readonly string[], width: number): VerdictLine[] {
  const out: VerdictLine[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let j: unknown;
    try {
      j = JSON.parse(raw);
    } catch (err) {
      bad(source, line, '(line)', `not valid JSON (${(err as Error).message})`);
    }
    if (!isObj(j)) bad(source, line, '(line)', 'expected a JSON object');
    if (typeof j.id !== 'string' || j.id === '') bad(source, line, 'id', 'expected a non-empty string');
    if (ids.has(j.id)) bad(source, line, 'id', `duplicate pair id ${JSON.stringify(j.id)}`);
    ids.add(j.id);
    if (j.prompt !== undefined && (typeof j.prompt !== 'string' || j.prompt === ''))
      bad(source, line, 'prompt', 'expected a non-empty string');
    if (j.batch !== undefined && !(Number.isSafeInteger(j.batch) && (j.batch as number) >= 0))
      bad(source, line, 'batch', `expected an integer ≥ 0, got ${JSON.stringify(j.batch)}`);
    if (typeof j.category !== 'string' || j.category === '') bad(source, line, 'category', 'expected a non-empty string');
    if (j.gold !== undefined && j.gold !== 'A' && j.gold !== 'B')
      bad(source, line, 'gold', `expected "A" or "B", got ${JSON.stringify(j.gold)}`);
    let context: Float64Array;
    if (j.context !== undefined) {
      if (!Array.isArray(j.context) || j.context.length !== width) bad(source, line, 'context', `expected an array of ${width} numbers`);
      j.context.forEach((v, k) => {
        if (!finite(v)) bad(source, line, `context[${k}]`, `expected a finite number, got ${JSON.stringify(v)}`);
      });
      context = Float64Array.from(j.context as number[]);
    } else if (typeof j.text === 'string' && j.text !== '') {
      context = hashedBagOfWords(j.text, width);
    } else {
      bad(source, line, 'context', 'expected "context" (numbers) or "text" (a non-empty string)');
    }
    if (!isObj(j.rms)) bad(source, line, 'rms', 'expected an object: RM name -> verdict');
    const rms: Record<string, VerdictRm> = {};
    for (const m of models) {
      if (!(m in j.rms)) bad(source, line, `rms[${JSON.stringify(m)}]`, 'missing (every routed RM needs a verdict on every pair)');
      rms[m] = parseRm(j.rms[m], source, line, `rms[${JSON.stringify(m)}]`);
    }
    out.push({
      id: j.id,
      prompt: (j.prompt as string | undefined) ?? j.id,
      batch: (j.batch as number | undefined) ?? null,
      category: j.category,
      goldA: j.gold !== 'B',
      context,
      rms,
    });
  });
  if (out.length === 0) throw new RouterError('RR_INVALID_VERDICTS', `${source}: no verdict lines`, { source, field: '(file)' });
  const withBatch = out.filter((l) => l.batch !== null).length;
  if (withBatch !== 0 && withBatch !== out.length) {
    const first = out.findIndex((l) => l.batch === null);
    throw new RouterError('RR_INVALID_VERDICTS', `${source}: "batch" must be on every line or on none (line ${first + 1} has none)`, {
      source,
      field: 'batch',
    });
  }
  return out;
}

export function readVerdictsFile(path: string, models: readonly string[], width: number): VerdictLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RouterError('RR_IO', `cannot read verdicts ${path}: ${(err as Error).message}`, {
      cause: err,
      source: path,
      field: 'stream',
    });
  }
  return parseVerdicts(text, path, models, width);
}

/**
 * The verdicts as the eval loop's stream, the RMs in `order` (the run's arm order); `known`
 * categories keep their indices (the profile's order). Prompts keep
 * their lines' file order; batches are the lines' `batch` values (ascending) or whole prompts packed
 * into `batchPairs` pairs.
 */
export function verdictStream(
  lines: readonly VerdictLine[],
  order: readonly string[],
  batchPairs = 480,
  known: readonly string[] = [],
): LoopStream {
  // Known categories (the profile's) first, in their order, then the file's others in first-seen order.
  const categories = [...new Set([...known, ...lines.map((l) => l.category)])];
  const groups: VerdictLine[][][] = []; // [batch][prompt][pair]
  if (lines[0]!.batch !== null) {
    const keys = [...new Set(lines.map((l) => l.batch!))].sort((a, b) => a - b);
    for (const b of keys) groups.push(byPrompt(lines.filter((l) => l.batch === b)));
  } else {
    let cur: VerdictLine[][] = [];
    let n = 0;
    for (const p of byPrompt(lines)) {
      if (n > 0 && n + p.length > batchPairs) {
        groups.push(cur);
        cur = [];
        n = 0;
      }
      cur.push(p);
      n += p.length;
    }
    if (cur.length > 0) groups.push(cur);
  }
  const toPair = (l: VerdictLine): SimPair => ({
    pairId: l.id,
    x: l.context,
    goldA: l.goldA,
    correct: order.map((m) => l.rms[m]!.correct),
    gap: Float64Array.from(order, (m) => l.rms[m]!.margin),
    signedScore: Float64Array.from(order, (m) => l.rms[m]!.score),
  });
  return {
    world: { pool: { models: order, categories } },
    batches: groups.length,
    generateBatch(t: number): SimBatch {
      const g = groups[t];
      if (!g)
        throw new RouterError('RR_INVALID_CONFIG', `batch: the stream has ${groups.length} batches, asked for ${t}`, { field: 'batches' });
      const prompts: SimPrompt[] = g.map((p) => ({
        promptId: p[0]!.prompt,
        category: p[0]!.category,
        categoryIndex: categories.indexOf(p[0]!.category),
        pairs: p.map(toPair),
      }));
      return { t, prompts };
    },
  };
}

function byPrompt(lines: readonly VerdictLine[]): VerdictLine[][] {
  const m = new Map<string, VerdictLine[]>();
  for (const l of lines) m.set(l.prompt, [...(m.get(l.prompt) ?? []), l]);
  return [...m.values()];
}

/** One verdict line for a simulated pair (the simulator's own draws, for `sim verdicts` and tests). */
export function verdictLineOf(batch: number, prompt: SimPrompt, pair: SimPair, models: readonly string[]): string {
  const rms: Record<string, { correct: boolean; margin: number; score: number }> = {};
  models.forEach((m, k) => {
    rms[m] = { correct: pair.correct[k]!, margin: pair.gap[k]!, score: pair.signedScore[k]! };
  });
  return JSON.stringify({
    id: pair.pairId,
    prompt: prompt.promptId,
    batch,
    category: prompt.category,
    gold: pair.goldA ? 'A' : 'B',
    context: Array.from(pair.x),
    rms,
  });
}
