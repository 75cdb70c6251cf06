/**
 * Offline training data (docs/formats.md): one preference example per JSONL line, with the pair
 * embedding and, for every RM of the pool, whether it agreed with the gold preference (c_k).
 * Read as a stream, so a large file never needs to sit in memory as text.
 */

import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { RouterError } from '../core/errors.ts';

export interface JsonlExample {
  id: string;
  category: string | null;
  embedding: Float64Array;
  /** c_k in `arms` order. */
  labels: Uint8Array;
  /** The RM ids of this line: `expectedArms` when given, else the line's key order. */
  arms: string[];
}

export interface OfflineDataset {
  ids: string[];
  /** null where a line has no category. */
  categories: (string | null)[];
  embeddings: Float64Array[];
  /** Per example, per arm (in `arms` order): 1 iff that RM agreed with the gold preference. */
  labels: Uint8Array[];
  arms: string[];
  width: number;
}

/** The typed error of a bad JSONL line (`source` is `file:line`). */
export function bad(source: string, field: string, message: string): never {
  throw new RouterError('RR_INVALID_JSONL', `${source}: ${field}: ${message}`, { field, source });
}

/** One JSONL line as a JSON object; null for a blank line; anything else is RR_INVALID_JSONL. */
export function parseJsonObjectLine(text: string, where: string): Record<string, unknown> | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    bad(where, 'json', `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(where, 'json', 'must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Validates one line. Returns null for a blank line. `expectedArms` / `expectedWidth` come from the
 * first example of the file: every later line must have the same RM ids and embedding width.
 */
export function parseJsonlLine(
  text: string,
  lineNo: number,
  source: string,
  expectedArms?: readonly string[],
  expectedWidth?: number,
): JsonlExample | null {
  const where = `${source}:${lineNo}`;
  const o = parseJsonObjectLine(text, where);
  if (o === null) return null;

  const id = o['id'];
  if (typeof id !== 'string' || id.length === 0) bad(where, 'id', 'must be a non-empty string');

  const cat = o['category'];
  if (cat !== undefined && cat !== null && typeof cat !== 'string') bad(where, 'category', 'must be a string when present');
  const category = typeof cat === 'string' ? cat : null;

  const emb = o['embedding'];
  if (!Array.isArray(emb)) bad(where, 'embedding', 'must be an array of numbers');
  if (emb.length === 0) bad(where, 'embedding', 'must not be empty');
  if (expectedWidth !== undefined && emb.length !== expectedWidth) {
    bad(where, 'embedding', `has width ${emb.length}, earlier lines have ${expectedWidth}`);
  }
  const embedding = new Float64Array(emb.length);
  for (let i = 0; i < emb.length; i++) {
    const v: unknown = emb[i];
    // JSON has no NaN/Inf literals: they show up as strings ("NaN"), null, or overflow (1e999 → Infinity).
    if (typeof v !== 'number' || !Number.isFinite(v))
      bad(where, `embedding[${i}]`, `must be a finite number, got ${JSON.stringify(v) ?? String(v)}`);
    embedding[i] = v;
  }

  const lab = o['labels'];
  if (typeof lab !== 'object' || lab === null || Array.isArray(lab)) bad(where, 'labels', 'must be an object of RM id → 0/1');
  const l = lab as Record<string, unknown>;
  const keys = Object.keys(l);
  if (keys.length === 0) bad(where, 'labels', 'must name at least one RM');
  const arms = expectedArms === undefined ? keys : [...expectedArms];
  if (expectedArms !== undefined) {
    for (const k of keys) if (!expectedArms.includes(k)) bad(where, `labels.${k}`, 'unknown RM (not on earlier lines)');
    for (const k of expectedArms) if (!(k in l)) bad(where, `labels.${k}`, 'missing (every line must label every RM)');
  }
  const labels = new Uint8Array(arms.length);
  arms.forEach((k, i) => {
    const v = l[k];
    if (v === 1 || v === true) labels[i] = 1;
    else if (v === 0 || v === false) labels[i] = 0;
    else bad(where, `labels.${k}`, `must be 0, 1, true or false, got ${JSON.stringify(v)}`);
  });
  return { id, category, embedding, labels, arms };
}

/**
 * The examples of a JSONL file, streamed: `RR_IO` if it cannot be opened or a read fails, a BOM on
 * the first line dropped, `parse` given each line (null = a blank line), and a second example with
 * an id already seen refused. The one reading loop of the vector and the text readers.
 */
export async function* jsonlExamples<E extends { id: string }>(
  path: string,
  parse: (text: string, lineNo: number) => E | null,
): AsyncGenerator<E> {
  try {
    await access(path);
  } catch (err) {
    throw new RouterError('RR_IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err, source: path, field: 'data' });
  }
  const seen = new Map<string, number>();
  let lineNo = 0;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      lineNo++;
      const ex = parse(lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw, lineNo);
      if (ex === null) continue;
      const first = seen.get(ex.id);
      if (first !== undefined) bad(`${path}:${lineNo}`, 'id', `duplicate id ${JSON.stringify(ex.id)} (first on line ${first})`);
      seen.set(ex.id, lineNo);
      yield ex;
    }
  } catch (err) {
    if (err instanceof RouterError) throw err;
    throw new RouterError('RR_IO', `error reading ${path}: ${(err as Error).message}`, {
      cause: err,
      source: `${path}:${lineNo}`,
      field: 'data',
    });
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Streams and validates a whole file; throws on the first bad line, `RR_IO` if it cannot be read. */
export async function readJsonl(path: string): Promise<OfflineDataset> {
  const out: OfflineDataset = { ids: [], categories: [], embeddings: [], labels: [], arms: [], width: 0 };
  let arms: string[] | undefined;
  let width: number | undefined;
  // The first example fixes the pool and the width every later line must match.
  for await (const ex of jsonlExamples(path, (text, lineNo) => parseJsonlLine(text, lineNo, path, arms, width))) {
    arms ??= ex.arms;
    width ??= ex.embedding.length;
    out.ids.push(ex.id);
    out.categories.push(ex.category);
    out.embeddings.push(ex.embedding);
    out.labels.push(ex.labels);
  }
  if (arms === undefined || width === undefined) bad(path, 'data', 'the file has no examples');
  out.arms = arms;
  out.width = width;
  return out;
}
