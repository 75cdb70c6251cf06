import { concatMap, type OperatorFunction } from 'rxjs';
import { codecError } from '../avro/errors.ts';
import type { Clock } from '../bus/types.ts';
import type { PairScore, Score, ScoringRequest } from '../records/types.ts';
import type { Work } from './types.ts';

/** Whatever scores pairs: the simulated pool, an HTTP RM server, a local model. */
export interface ScoreBackend {
  /** Model version written into every Score (e.g. a checkpoint hash). */
  readonly modelVersion: string;
  /** One PairScore per pair of the request, in its order, `index` copied. */
  score(request: ScoringRequest): Promise<PairScore[]>;
}

export interface ScoreConfig {
  backend: ScoreBackend;
  /** The RMs of the loop; a request for any other is UNKNOWN_RM. */
  arms: readonly string[];
  clock: Clock;
}

/**
 * Scores each request with the backend, one request at a time and in order
 * (a scorer instance is one GPU). A request for an RM outside the pool, or one
 * the backend refuses, becomes a rejection; the stream goes on.
 */
export function scorePairs(cfg: ScoreConfig): OperatorFunction<Work<ScoringRequest>, Work<Score>> {
  return concatMap(async (work): Promise<Work<Score>> => {
    const req = work.value;
    if (req === undefined) return { ...work, value: undefined };
    try {
      if (!cfg.arms.includes(req.rm)) throw codecError('RR_UNKNOWN_ARM', 'UNKNOWN_RM', `request for RM ${JSON.stringify(req.rm)}, not in the pool`);
      const started = cfg.clock.now();
      const pairs = await cfg.backend.score(req);
      const score: Score = {
        run: req.run, batch: req.batch, promptId: req.promptId, rm: req.rm, modelVersion: cfg.backend.modelVersion,
        latencyMs: cfg.clock.now() - started, promptPairs: req.promptPairs, pairs, audit: req.audit === true,
      };
      return { ...work, value: score };
    } catch (error) {
      return { record: work.record, value: undefined, rejected: [...work.rejected, { record: work.record, error }] };
    }
  });
}
