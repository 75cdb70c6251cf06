import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { codecError } from '../avro/errors.ts';
import type { Clock } from '../bus/types.ts';
import type { PairScore, Score, ScoringRequest } from '../records/types.ts';
import { isFailure, type PairInput, type PairResult, type RmBackend } from '../scorers/types.ts';
import type { Rejected, Work } from './types.ts';

export interface MicroBatchConfig {
  backend: RmBackend;
  arms: readonly string[];
  clock: Clock;
  /** A micro-batch is scored once it holds this many pairs… */
  maxPairs: number;
  /** …or this long after its first request arrived (on `scheduler`). */
  maxWaitMs: number;
  /** Runs the wait (default asyncScheduler; a TestScheduler / VirtualTimeScheduler in tests). */
  scheduler?: SchedulerLike;
  /** Called with the pairs of every micro-batch sent to the backend (stats, tests). */
  onBatch?: (pairs: number, requests: number) => void;
}

/**
 * Scores requests of several prompts together: requests are gathered into a micro-batch until it
 * holds `maxPairs` pairs or `maxWaitMs` has passed since its first request, then all its pairs go to
 * the backend in one call (a pointwise backend scores each distinct (prompt, response) once).
 * Micro-batches are scored concurrently, but every Score leaves in its request's order, one per
 * request, as `processBatches` needs. A pair the RM could not score (after its retries) is written
 * with `unscored` = the reason code and NaN scores, and is dead-lettered with that reason, so it
 * is never lost: the labeler counts it as not decisive and its prompt completes.
 * `latencyMs` of a Score is its micro-batch's scoring time (injected clock).
 */
export function scoreMicroBatch(cfg: MicroBatchConfig): OperatorFunction<Work<ScoringRequest>, Work<Score>> {
  const scheduler = cfg.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<Work<Score>>((sub) => {
      let buf: Work<ScoringRequest>[] = [];
      let pairs = 0;
      let timer: Subscription | null = null;
      let chain: Promise<void> = Promise.resolve();
      const fail = (err: unknown): void => sub.error(err);

      const flush = (): void => {
        timer?.unsubscribe();
        timer = null;
        if (buf.length === 0) return;
        const batch = buf;
        buf = [];
        pairs = 0;
        const scored = scoreBatch(cfg, batch); // starts now, overlapping later micro-batches
        chain = chain
          .then(async () => {
            for (const w of await scored) sub.next(w);
          })
          .catch(fail);
      };

      const inner = source.subscribe({
        next(work) {
          buf.push(work);
          pairs += work.value?.pairs.length ?? 0;
          if (pairs >= cfg.maxPairs) flush();
          else timer ??= scheduler.schedule(flush, cfg.maxWaitMs);
        },
        error: fail,
        complete() {
          flush();
          void chain.then(() => sub.complete());
        },
      });
      return () => {
        inner.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

async function scoreBatch(cfg: MicroBatchConfig, batch: readonly Work<ScoringRequest>[]): Promise<Work<Score>[]> {
  const inputs: PairInput[] = [];
  const valid: boolean[] = batch.map((w) => w.value !== undefined && cfg.arms.includes(w.value.rm));
  batch.forEach((w, i) => {
    if (!valid[i]) return;
    const r = w.value!;
    for (const p of r.pairs)
      inputs.push({
        pairId: p.pairId,
        batch: r.batch,
        prompt: r.prompt ?? '',
        messages: r.messages ?? [],
        responseA: p.responseA,
        responseB: p.responseB,
      });
  });
  const started = cfg.clock.now();
  let results: PairResult[];
  if (inputs.length === 0) results = [];
  else {
    cfg.onBatch?.(inputs.length, valid.filter(Boolean).length);
    try {
      results = await cfg.backend.scorePairs(inputs);
      if (results.length !== inputs.length) throw new Error(`backend returned ${results.length} results for ${inputs.length} pairs`);
    } catch (e) {
      // A backend bug, not an RM answer: every pair of the micro-batch is unscored, none is lost.
      results = inputs.map(() => ({ failure: { code: 'RM_UNAVAILABLE' as const, message: `backend failed: ${(e as Error).message}` } }));
    }
  }
  const latencyMs = cfg.clock.now() - started;
  let k = 0;
  return batch.map((w, i): Work<Score> => {
    const r = w.value;
    if (r === undefined) return { ...w, value: undefined };
    if (!valid[i]) {
      const error = codecError('RR_UNKNOWN_ARM', 'UNKNOWN_RM', `request for RM ${JSON.stringify(r.rm)}, not in the pool`);
      return { record: w.record, value: undefined, rejected: [...w.rejected, { record: w.record, error }] };
    }
    const rejected: Rejected[] = [...w.rejected];
    const scores = r.pairs.map((p): PairScore => {
      const res = results[k++]!;
      if (!isFailure(res)) return { pairId: p.pairId, index: p.index, scoreA: res.scoreA, scoreB: res.scoreB, unscored: null };
      const error = codecError('RR_RM', res.failure.code, `pair ${p.pairId} unscored by RM ${r.rm}: ${res.failure.message}`, {
        pairId: p.pairId,
      });
      rejected.push({ record: w.record, error, reason: res.failure.code });
      return { pairId: p.pairId, index: p.index, scoreA: NaN, scoreB: NaN, unscored: res.failure.code };
    });
    const score: Score = {
      run: r.run,
      batch: r.batch,
      promptId: r.promptId,
      rm: r.rm,
      modelVersion: cfg.backend.modelVersion,
      latencyMs,
      promptPairs: r.promptPairs,
      pairs: scores,
      audit: r.audit === true,
    };
    return { record: w.record, value: score, rejected };
  });
}
