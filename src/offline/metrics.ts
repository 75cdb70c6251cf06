/**
 * `router_accuracy` exactly as docs/algorithm.md defines it: over examples with at least one correct RM,
 * the share where argmax_k s_k is a correct RM. Beside it, each fixed RM's accuracy on the same
 * examples, so the numbers compare like for like (examples where every RM is wrong count for nobody).
 */

import type { AccuracyBlock } from '../core/prior.ts';

/** Index of the largest score; the lowest index wins ties, as in torch.argmax. */
export function argmax(s: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < s.length; i++) if (s[i]! > s[best]!) best = i;
  return best;
}

function block(rows: number[], picks: Int32Array, labels: readonly Uint8Array[], arms: readonly string[]): AccuracyBlock {
  let n = 0;
  let routed = 0;
  const fixed = new Float64Array(arms.length);
  for (const e of rows) {
    const c = labels[e]!;
    if (!c.includes(1)) continue;
    n++;
    routed += c[picks[e]!]!;
    for (let k = 0; k < arms.length; k++) fixed[k]! += c[k]!;
  }
  const out: AccuracyBlock = { n_eval: n, router_accuracy: n === 0 ? null : routed / n, fixed: {} };
  arms.forEach((arm, k) => (out.fixed[arm] = n === 0 ? null : fixed[k]! / n));
  return out;
}

/**
 * Accuracy of the routed picks on `rows` (example indices), overall and per category when any of
 * those examples has one. `picks[e]` is the router's choice for example e (argmax of its scores).
 */
export function evaluatePicks(
  rows: readonly number[],
  picks: Int32Array,
  labels: readonly Uint8Array[],
  categories: readonly (string | null)[],
  arms: readonly string[],
): AccuracyBlock & { per_category?: Record<string, AccuracyBlock> } {
  const overall: AccuracyBlock & { per_category?: Record<string, AccuracyBlock> } = block([...rows], picks, labels, arms);
  const byCat = new Map<string, number[]>();
  for (const e of rows) {
    const c = categories[e];
    if (c === null || c === undefined) continue;
    let list = byCat.get(c);
    if (list === undefined) byCat.set(c, (list = []));
    list.push(e);
  }
  if (byCat.size > 0) {
    overall.per_category = {};
    for (const cat of [...byCat.keys()].sort()) overall.per_category[cat] = block(byCat.get(cat)!, picks, labels, arms);
  }
  return overall;
}
