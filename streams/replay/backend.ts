import { codecError } from '../../src/avro/errors.ts';
import type { ScoreBackend } from '../../src/operators/scorePairs.ts';
import type { PairScore, ScoringRequest } from '../../src/records/types.ts';
import { scoreKey, type RecordedScore } from './recorded.ts';

/**
 * The replay's scorer backend: answers a request with the scores recorded for the same (RM, pair),
 * never calling an RM. A pair the recorded run did not send to this RM (the replay routed it
 * elsewhere) has no score: the request is refused as UNKNOWN_PAIR and dead-lettered, and the
 * decision comparison names the pair.
 */
export function recordedBackend(scores: ReadonlyMap<string, RecordedScore>): ScoreBackend {
  return {
    modelVersion: 'replay',
    score(req: ScoringRequest): Promise<PairScore[]> {
      return Promise.resolve(req.pairs.map((p) => {
        const s = scores.get(scoreKey(req.rm, p.pairId));
        if (s === undefined) throw codecError('RR_INVALID_RECORD', 'UNKNOWN_PAIR', `no recorded score of ${req.rm} for pair ${p.pairId}`, { pairId: p.pairId });
        return { pairId: p.pairId, index: p.index, scoreA: s.scoreA, scoreB: s.scoreB };
      }));
    },
  };
}
