/**
 * What-if on shadow pairs: a shadow pair was scored by every RM of the pool (its routed score plus
 * audit scores, shadow scoring), so whichever RM a method picks for it, that RM's verdict is known
 * from the record. This compares two methods' picks on those pairs: the recorded one and the
 * what-if's, each pick's verdict against the pool's consensus, the recorded label and (simulated
 * runs) the simulator's gold label. No I/O.
 *
 * Verdicts: A when scoreA − scoreB > tieEps, B when scoreB − scoreA > tieEps, else none (a tie, or
 * a pair the RM could not score); the same decisive rule as the labeler's. Consensus: the side with
 * more A/B verdicts among all RMs; a tie of votes (including no verdict at all) is no consensus,
 * and such pairs are left out of the consensus agreement (counted in `noConsensus`).
 */
import type { Side } from '../../src/records/types.ts';

export type ShadowVerdict = Side | null;

export function verdict(scoreA: number, scoreB: number, tieEps: number): ShadowVerdict {
  if (!(Number.isFinite(scoreA) && Number.isFinite(scoreB))) return null;
  if (scoreA - scoreB > tieEps) return 'A';
  if (scoreB - scoreA > tieEps) return 'B';
  return null;
}

/** The majority side of the verdicts (null: as many A as B). */
export function consensus(verdicts: readonly ShadowVerdict[]): ShadowVerdict {
  let a = 0,
    b = 0;
  for (const v of verdicts)
    if (v === 'A') a++;
    else if (v === 'B') b++;
  return a > b ? 'A' : b > a ? 'B' : null;
}

/** One shadow pair: every RM's verdict (arm order), both picks, the recorded label and gold when known. */
export interface ShadowPair {
  pairId: string;
  verdicts: readonly ShadowVerdict[];
  recordedPick: number;
  /** −1: the what-if made no decision for the pair. */
  whatIfPick: number;
  /** The recorded label's side (null: the labeler did not keep the pair). */
  label: Side | null;
  /** The simulator's gold side (null: not a simulated run). */
  gold: Side | null;
}

export interface PickAgreement {
  /** Pairs whose picked RM's verdict equals the consensus (of `consensus` pairs). */
  consensus: number;
  /** …equals the recorded label (of `labelled` pairs). */
  label: number;
  /** …equals gold (of `gold` pairs; null when no pair has gold). */
  gold: number | null;
}

export interface ShadowComparison {
  /** Shadow pairs compared (each scored by every RM). */
  pairs: number;
  /** Of them: with a consensus, with a recorded label, with a gold label. */
  consensus: number;
  noConsensus: number;
  labelled: number;
  gold: number;
  /** Pairs on which both methods picked the same RM. */
  samePick: number;
  /** How often the consensus itself equals gold (of `consensus` pairs with gold): the yardstick's own accuracy. */
  consensusGold: number | null;
  recorded: PickAgreement;
  whatIf: PickAgreement;
}

export function compareShadowPicks(pairs: readonly ShadowPair[]): ShadowComparison {
  const withGold = pairs.some((p) => p.gold !== null);
  const agree = (): PickAgreement => ({ consensus: 0, label: 0, gold: withGold ? 0 : null });
  const out: ShadowComparison = {
    pairs: pairs.length,
    consensus: 0,
    noConsensus: 0,
    labelled: 0,
    gold: 0,
    samePick: 0,
    consensusGold: withGold ? 0 : null,
    recorded: agree(),
    whatIf: agree(),
  };
  for (const p of pairs) {
    const c = consensus(p.verdicts);
    if (c === null) out.noConsensus++;
    else out.consensus++;
    if (p.label !== null) out.labelled++;
    if (p.gold !== null) out.gold++;
    if (c !== null && p.gold !== null && c === p.gold) out.consensusGold!++;
    if (p.recordedPick === p.whatIfPick) out.samePick++;
    for (const [pick, a] of [
      [p.recordedPick, out.recorded],
      [p.whatIfPick, out.whatIf],
    ] as const) {
      const v = pick >= 0 ? (p.verdicts[pick] ?? null) : null;
      if (v === null) continue;
      if (c !== null && v === c) a.consensus++;
      if (p.label !== null && v === p.label) a.label++;
      if (p.gold !== null && v === p.gold) a.gold!++;
    }
  }
  return out;
}
