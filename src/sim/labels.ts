/**
 * Which routed labels the trainer uses (ALGORITHM.md step 1): a pair is
 * decisive when the chosen RM's |score gap| exceeds tieEps; per prompt, the
 * first keepPerPrompt decisive pairs in pair order are kept. Pair order, not
 * gap size, so that the choice never depends on other arms' scores.
 */
import { requireConfig } from '../core/errors.ts';

export interface GapPair {
  gap: ArrayLike<number>;
}

/**
 * Indices (into `pairs`) of the kept pairs, ascending.
 * `chosenArmPerPair[j]` is the RM that labelled `pairs[j]`.
 */
export function keepDecisive(
  pairs: readonly GapPair[],
  chosenArmPerPair: ArrayLike<number>,
  tieEps: number,
  keepPerPrompt: number,
): number[] {
  requireConfig(chosenArmPerPair.length === pairs.length, 'chosenArmPerPair',
    `expected ${pairs.length} arms, got ${chosenArmPerPair.length}`);
  const kept: number[] = [];
  for (let j = 0; j < pairs.length && kept.length < keepPerPrompt; j++) {
    const arm = chosenArmPerPair[j]!;
    const g = pairs[j]!.gap[arm];
    requireConfig(g !== undefined, `chosenArmPerPair[${j}]`, `no RM ${arm} on this pair`);
    if (g > tieEps) kept.push(j);
  }
  return kept;
}

export interface LabelledPair {
  goldA: boolean;
  correct: readonly boolean[];
}

/** The routed label of a pair: whether the chosen RM prefers response a, and whether that is right. */
export function routedLabel(pair: LabelledPair, arm: number): { prefersA: boolean; correct: boolean } {
  const correct = pair.correct[arm];
  requireConfig(correct !== undefined, 'arm', `no RM ${arm} on this pair`);
  return { prefersA: pair.goldA === correct, correct };
}
