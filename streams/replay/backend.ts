import type { PairInput, PairResult, RmBackend } from '../../src/scorers/types.ts';
import { scoreKey, type RecordedScore } from './recorded.ts';

/**
 * The replay's scorer backend for one RM: answers each pair with the score recorded for the same
 * (RM, pair), never calling an RM. A pair the recorded run did not send to this RM (the replay
 * routed it elsewhere) has no score: it is unscored with UNKNOWN_PAIR and dead-lettered, and the
 * decision comparison names the pair.
 */
export function recordedBackend(scores: ReadonlyMap<string, RecordedScore>, rm: string): RmBackend {
  let answered = 0;
  let missing = 0;
  return {
    kind: 'recorded',
    modelVersion: 'replay',
    scorePairs(pairs: readonly PairInput[]): Promise<PairResult[]> {
      return Promise.resolve(
        pairs.map((p): PairResult => {
          const s = scores.get(scoreKey(rm, p.pairId));
          if (s === undefined) {
            missing++;
            return { failure: { code: 'UNKNOWN_PAIR', message: `no recorded score of ${rm} for pair ${p.pairId}` } };
          }
          answered++;
          return { scoreA: s.scoreA, scoreB: s.scoreB };
        }),
      );
    },
    stats: () => ({ recordedAnswered: answered, recordedMissing: missing }),
  };
}
