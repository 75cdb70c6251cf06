/**
 * Offline training data as text (docs/formats.md): one preference example per JSONL line with the
 * prompt, both responses and, per RM, either whether it agreed with the gold preference (`labels`,
 * 0/1) or its two scores (`scores`: RM → [scoreA, scoreB], with `preferred`: "A" | "B" the gold side).
 * The pairs are embedded with the router's own encoder and featurization (src/encoder/), so the
 * prior is trained in the space the router routes in.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PairEncoder, PairText } from '../encoder/types.ts';
import { bad, jsonlExamples, parseJsonObjectLine, type OfflineDataset } from './jsonl.ts';

export interface TextExample extends PairText {
  id: string;
  category: string | null;
  /** c_k in `arms` order. */
  labels: Uint8Array;
  arms: string[];
}

/** Validates one text line; null for a blank line. `expectedArms` comes from the first example. */
export function parseTextLine(text: string, lineNo: number, source: string, expectedArms?: readonly string[]): TextExample | null {
  const where = `${source}:${lineNo}`;
  const o = parseJsonObjectLine(text, where);
  if (o === null) return null;
  const str = (k: string, allowEmpty: boolean): string => {
    const v = o[k];
    if (typeof v !== 'string' || (!allowEmpty && v === '')) bad(where, k, `must be a${allowEmpty ? '' : ' non-empty'} string`);
    return v;
  };
  const id = str('id', false);
  const cat = o['category'];
  if (cat !== undefined && cat !== null && typeof cat !== 'string') bad(where, 'category', 'must be a string when present');
  const prompt = str('prompt', true);
  const responseA = str('responseA', true);
  const responseB = str('responseB', true);

  const hasLabels = o['labels'] !== undefined;
  const hasScores = o['scores'] !== undefined;
  if (hasLabels === hasScores) bad(where, 'labels', 'give exactly one of "labels" (RM → 0/1) and "scores" (RM → [scoreA, scoreB])');
  const field = hasLabels ? 'labels' : 'scores';
  const m = o[field];
  if (typeof m !== 'object' || m === null || Array.isArray(m)) bad(where, field, 'must be an object keyed by RM id');
  const per = m as Record<string, unknown>;
  const keys = Object.keys(per);
  if (keys.length === 0) bad(where, field, 'must name at least one RM');
  const arms = expectedArms === undefined ? keys : [...expectedArms];
  if (expectedArms !== undefined) {
    for (const k of keys) if (!expectedArms.includes(k)) bad(where, `${field}.${k}`, 'unknown RM (not on earlier lines)');
    for (const k of expectedArms) if (!(k in per)) bad(where, `${field}.${k}`, 'missing (every line must cover every RM)');
  }
  let goldA = true;
  if (hasScores) {
    const pref = o['preferred'];
    if (pref !== 'A' && pref !== 'B') bad(where, 'preferred', 'must be "A" or "B" when scores are given');
    goldA = pref === 'A';
  }
  const labels = new Uint8Array(arms.length);
  arms.forEach((k, i) => {
    const v = per[k];
    if (hasLabels) {
      if (v === 1 || v === true) labels[i] = 1;
      else if (v !== 0 && v !== false) bad(where, `labels.${k}`, `must be 0, 1, true or false, got ${JSON.stringify(v)}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      bad(where, `scores.${k}`, `must be [scoreA, scoreB], two finite numbers, got ${JSON.stringify(v)}`);
    const [a, b] = v as [number, number];
    // A tie prefers neither response, so it does not agree with the gold preference.
    labels[i] = a !== b && a > b === goldA ? 1 : 0;
  });
  return { id, category: typeof cat === 'string' ? cat : null, prompt, responseA, responseB, labels, arms };
}

/** Reads and validates a whole text file; throws on the first bad line, `RR_IO` if it cannot be read. */
export async function readTextJsonl(path: string): Promise<TextExample[]> {
  const out: TextExample[] = [];
  let arms: string[] | undefined;
  // The first example fixes the pool every later line must label.
  for await (const ex of jsonlExamples(path, (text, lineNo) => parseTextLine(text, lineNo, path, arms))) {
    arms ??= ex.arms;
    out.push(ex);
  }
  if (out.length === 0) bad(path, 'data', 'the file has no examples');
  return out;
}

/** True when the file's first example is text (has `prompt`, no `embedding`). */
export async function isTextJsonl(path: string): Promise<boolean> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      if (raw.trim() === '') continue;
      try {
        const o = JSON.parse(raw.replace(/^\uFEFF/, '')) as Record<string, unknown>;
        return typeof o === 'object' && o !== null && 'prompt' in o && !('embedding' in o);
      } catch {
        return false;
      }
    }
    return false;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Embeds the examples with the encoder (in chunks of `chunk` pairs) into the offline stage's dataset. */
export async function embedTextExamples(
  examples: readonly TextExample[],
  encoder: PairEncoder,
  chunk = 256,
  onProgress?: (done: number) => void,
): Promise<OfflineDataset> {
  const embeddings: Float64Array[] = [];
  for (let from = 0; from < examples.length; from += chunk) {
    embeddings.push(...(await encoder.embedPairs(examples.slice(from, from + chunk))));
    onProgress?.(embeddings.length);
  }
  return {
    ids: examples.map((e) => e.id),
    categories: examples.map((e) => e.category),
    embeddings,
    labels: examples.map((e) => e.labels),
    arms: [...examples[0]!.arms],
    width: encoder.info.dim,
  };
}
