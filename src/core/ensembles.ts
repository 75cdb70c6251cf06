/**
 * Baselines that call every RM for every pair (K calls per pair): they do not
 * route, they combine. Each returns whether the combined label agrees with gold.
 */

/** Majority vote over the RMs' labels; an exact tie is broken by `coin` ∈ (0,1). */
export function majorityVoteCorrect(correct: readonly boolean[], coin: number): boolean {
  let yes = 0;
  for (const c of correct) if (c) yes++;
  const no = correct.length - yes;
  if (yes !== no) return yes > no;
  return coin < 0.5;
}

/**
 * Mean ensemble: average of per-RM z-normalized score differences. `scales[k]`
 * is RM k's score-difference std (over the batch), so every RM weighs the same
 * whatever its raw scale; `signed[k]` is positive when RM k agrees with gold.
 */
export function meanEnsembleCorrect(signed: ArrayLike<number>, scales: ArrayLike<number>): boolean {
  let s = 0;
  for (let k = 0; k < signed.length; k++) s += signed[k]! / (scales[k]! > 0 ? scales[k]! : 1);
  return s > 0;
}

/** Oracle: correct when any RM is (the upper bound of any one-RM router). */
export function oracleCorrect(correct: readonly boolean[]): boolean {
  return correct.some((c) => c);
}
