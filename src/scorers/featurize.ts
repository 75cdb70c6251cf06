/**
 * The tfjs reward model's featurizer (saved beside the model as featurizer.json, so a model is
 * never fed features of another kind): feature hashing of the response's lower-cased word unigrams
 * and bigrams, of the words the response shares with the prompt, and of its length bucket, into
 * `dim` buckets signed by one hash bit, then L2-normalized. Each word is hashed once (FNV-1a) and
 * the features mix those hashes (no string building per feature: this runs for every text the
 * scorer sees). Pure and deterministic.
 */
export interface FeaturizerSpec {
  name: 'hashed-ngrams';
  version: 2;
  dim: number;
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** murmur3's finalizer over h and a per-feature-kind salt. */
function mix(h: number, salt: number): number {
  h = (h ^ Math.imul(salt, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const WORD = /[\p{L}\p{N}']+|[^\s\p{L}\p{N}]/gu;
const wordHashes = (t: string): number[] => (t.toLowerCase().match(WORD) ?? []).map(fnv);

/** Writes the features of (prompt, response) into `out` (length spec.dim, zeroed first). */
export function featurize(spec: FeaturizerSpec, prompt: string, response: string, out: Float32Array): Float32Array {
  out.fill(0);
  const dim = spec.dim;
  const add = (h: number): void => {
    out[h % dim]! += (h & 0x80000000) !== 0 ? -1 : 1;
  };
  const r = wordHashes(response);
  const p = new Set(wordHashes(prompt));
  for (let i = 0; i < r.length; i++) {
    const w = r[i]!;
    add(mix(w, 1));
    if (i + 1 < r.length) add(mix((Math.imul(w, 31) ^ r[i + 1]!) >>> 0, 2));
    if (p.has(w)) add(mix(w, 3));
  }
  add(mix(Math.min(12, Math.floor(Math.log2(1 + r.length))), 4));
  let n = 0;
  for (const v of out) n += v * v;
  if (n > 0) {
    const s = 1 / Math.sqrt(n);
    for (let i = 0; i < out.length; i++) out[i]! *= s;
  }
  return out;
}

export function featurizeBatch(spec: FeaturizerSpec, items: readonly { prompt: string; response: string }[]): Float32Array {
  const flat = new Float32Array(items.length * spec.dim);
  items.forEach((it, i) => featurize(spec, it.prompt, it.response, flat.subarray(i * spec.dim, (i + 1) * spec.dim)));
  return flat;
}
