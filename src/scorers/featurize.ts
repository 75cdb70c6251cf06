/**
 * The tfjs reward model's featurizer (saved beside the model as featurizer.json, so a model is
 * never fed features of another kind): feature hashing of the response's lower-cased word unigrams
 * and bigrams, and of the words the response shares with the prompt, into `dim` buckets (FNV-1a,
 * signed by one hash bit), then L2-normalized. Pure and deterministic.
 */
export interface FeaturizerSpec {
  name: 'hashed-ngrams';
  version: 1;
  dim: number;
}

function fnv(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const words = (t: string): string[] => t.toLowerCase().match(/[\p{L}\p{N}']+|[^\s\p{L}\p{N}]/gu) ?? [];

/** Writes the features of (prompt, response) into `out` (length spec.dim, zeroed first). */
export function featurize(spec: FeaturizerSpec, prompt: string, response: string, out: Float32Array): Float32Array {
  out.fill(0);
  const add = (token: string): void => {
    const h = fnv(token, 0x9e37);
    out[h % spec.dim]! += (h & 0x80000000) !== 0 ? -1 : 1;
  };
  const r = words(response);
  const p = new Set(words(prompt));
  for (let i = 0; i < r.length; i++) {
    add(`u:${r[i]}`);
    if (i + 1 < r.length) add(`b:${r[i]} ${r[i + 1]}`);
    if (p.has(r[i]!)) add(`shared:${r[i]}`);
  }
  add(`len:${Math.min(12, Math.floor(Math.log2(1 + r.length)))}`);
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
