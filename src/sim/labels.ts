/**
 * Which routed labels the trainer uses (docs/algorithm.md step 1): a pair is
 * decisive when the chosen RM's |score gap| exceeds tieEps; per prompt, at most
 * keepPerPrompt decisive pairs are kept: a seeded random draw per pair id (the
 * authors' rule, `key` from `keepKeys`) or, without `key`, the first ones in
 * pair order. Never by gap size, so the choice never depends on other arms' scores.
 */
import { requireConfig } from '../core/errors.ts';
import { pickKept } from '../core/keep.ts';

export interface GapPair {
  gap: ArrayLike<number>;
  pairId?: string;
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
  key?: (pairId: string) => number,
): number[] {
  requireConfig(
    chosenArmPerPair.length === pairs.length,
    'chosenArmPerPair',
    `expected ${pairs.length} arms, got ${chosenArmPerPair.length}`,
  );
  const decisive: number[] = [];
  for (let j = 0; j < pairs.length && (key || decisive.length < keepPerPrompt); j++) {
    const arm = chosenArmPerPair[j]!;
    const g = pairs[j]!.gap[arm];
    requireConfig(g !== undefined, `chosenArmPerPair[${j}]`, `no RM ${arm} on this pair`);
    if (g > tieEps) decisive.push(j);
  }
  if (!key) return decisive;
  return pickKept(decisive, keepPerPrompt, (j) => {
    const id = pairs[j]!.pairId;
    requireConfig(id !== undefined, `pairs[${j}].pairId`, 'random keeping needs pair ids');
    return key(id);
  });
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
