/**
 * Pairs from a pointwise RM: every distinct (prompt, response) of the call is scored once
 * (a prompt's 6 responses make 15 pairs but 6 texts), in chunks of at most `maxBatch` texts sent
 * concurrently through the RM's Resilient caller. A chunk that fails (after its retries) fails only
 * the pairs that need one of its texts.
 */
import { Resilient, RmCallError } from './resilience.ts';
import { promptText } from './text.ts';
import type { PairFailure, PairInput, PairResult } from './types.ts';

export interface TextItem {
  prompt: string;
  response: string;
}

/** One HTTP call (or model run) for a chunk: one finite reward per item, or an RmCallError. */
export type RewardCall = (items: readonly TextItem[], signal: AbortSignal) => Promise<number[]>;

export async function scorePointwise(
  pairs: readonly PairInput[],
  call: RewardCall,
  res: Resilient,
  maxBatch: number,
): Promise<PairResult[]> {
  const index = new Map<string, number>();
  const items: TextItem[] = [];
  const keyOf = (p: PairInput, response: string): number => {
    const prompt = promptText(p.prompt, p.messages);
    const key = `${prompt}\u0000${response}`;
    let i = index.get(key);
    if (i === undefined) {
      i = items.length;
      index.set(key, i);
      items.push({ prompt, response });
    }
    return i;
  };
  const refs = pairs.map((p) => [keyOf(p, p.responseA), keyOf(p, p.responseB)] as const);
  const rewards: (number | PairFailure)[] = new Array(items.length);
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += maxBatch)
    chunks.push(Array.from({ length: Math.min(maxBatch, items.length - i) }, (_, j) => i + j));
  await Promise.all(
    chunks.map(async (ids) => {
      const chunk = ids.map((i) => items[i]!);
      try {
        const out = await res.call(`${chunk[0]!.prompt}\u0000${chunk[0]!.response}\u0000${chunk.length}`, (signal) => call(chunk, signal));
        ids.forEach((i, j) => {
          rewards[i] = out[j]!;
        });
      } catch (e) {
        const err = e instanceof RmCallError ? e : new RmCallError('RM_UNAVAILABLE', String(e), false);
        for (const i of ids) rewards[i] = { code: err.code, message: err.message };
      }
    }),
  );
  return pairResults(refs, rewards);
}

/**
 * Each pair's result from the rewards of its two texts (indices into `rewards`): both scores, or the
 * failure of the first text that has one.
 */
export function pairResults(refs: readonly (readonly [number, number])[], rewards: readonly (number | PairFailure)[]): PairResult[] {
  return refs.map(([a, b]) => {
    const ra = rewards[a]!;
    const rb = rewards[b]!;
    if (typeof ra !== 'number') return { failure: ra };
    if (typeof rb !== 'number') return { failure: rb };
    return { scoreA: ra, scoreB: rb };
  });
}

/** Checks a reply's rewards: an array of `n` finite numbers, else a non-retriable RM_BAD_RESPONSE. */
export function checkRewards(values: unknown, n: number, what: string): number[] {
  if (!Array.isArray(values)) throw new RmCallError('RM_BAD_RESPONSE', `${what}: expected an array of ${n} rewards`, false);
  if (values.length !== n) throw new RmCallError('RM_BAD_RESPONSE', `${what}: ${values.length} rewards for ${n} texts`, false);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new RmCallError('RM_BAD_RESPONSE', `${what}: reward ${i} is ${JSON.stringify(v)}, not a finite number`, false);
  });
  return values as number[];
}
