/**
 * Which decisive pairs of a prompt the trainer keeps. The authors sample up to 4 of them at random
 * (docs/algorithm.md, "kept pairs"); here the draw is a Philox uniform per (seed, run, pair id), and the
 * pairs with the smallest draws are kept. Keyed by pair id, so the choice is the same whatever order
 * the scores arrive in and whichever process labels the prompt (the eval loop and the labeler app
 * agree bit for bit). `first` (the first ones in pair order) is the older rule, kept as an option.
 */
import { CounterRng, Stream } from './rng.ts';

export type KeepRule = 'random' | 'first';

/** The draw that ranks a decisive pair for keeping (smaller = kept first). */
export function keepKeys(seed: number, run: string): (pairId: string) => number {
  const rng = new CounterRng(seed, `${run}/keep`);
  return (pairId) => rng.pairUniform(pairId, 0, Stream.keep);
}

/**
 * Up to `n` of `decisive` (given in pair order): the first n (`key` absent) or the n with the
 * smallest keys. Returned in pair order either way.
 */
export function pickKept<T>(decisive: readonly T[], n: number, key?: (item: T) => number): T[] {
  if (!key || decisive.length <= n) return decisive.slice(0, n);
  const ranked = decisive
    .map((item, i) => ({ i, k: key(item) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .slice(0, n);
  return ranked.sort((a, b) => a.i - b.i).map((r) => decisive[r.i]!);
}
