/**
 * The scorer app, one per RM: consumes `requests.<rm>` (group `scorer.<rm>`), scores the requests'
 * pairs with the RM's backend through the one scoring path (scoreMicroBatch: micro-batched across
 * prompts, one Score per request, a pair the RM could not score written as unscored and
 * dead-lettered) and produces the Scores. The backend is whatever the loop's config names for the
 * RM (`scorers[rm]`: http, judge, tfjs, sim) or one passed in (replay's recorded scores, tests); an
 * RM without an entry is simulated only when the loop has a `sim` section.
 */
import type { SchedulerLike } from 'rxjs';
import { RouterError } from '../../src/core/errors.ts';
import { deadLetterOn } from '../../src/operators/deadLetterOn.ts';
import { decodeRecords } from '../../src/operators/decodeRecords.ts';
import { scoreMicroBatch } from '../../src/operators/scoreMicroBatch.ts';
import { recordKey, requestsTopic, topicName } from '../../src/records/topics.ts';
import { createRmBackend, simMicroBatch, type ScorerConfig } from '../../src/scorers/index.ts';
import type { Timers } from '../../src/scorers/resilience.ts';
import type { RmBackend } from '../../src/scorers/types.ts';
import type { AppContext, AppHandle, LoopSettings } from '../runtime/context.ts';
import { runStage } from '../runtime/stage.ts';
import { dlqValueBytes } from '../runtime/topics.ts';

export interface ScorerOptions {
  /** The RM this instance serves (required). */
  rm?: string;
  /** A backend to use instead of the one the config names (replay's recorded scores, tests); it answers from memory. */
  backend?: RmBackend;
  /** Simulated scoring time per call of the simulated backend (backpressure tests). */
  delayMs?: number;
  maxBatchSize?: number;
  /** Micro-batch bounds (default: the RM's config; the simulator: one request at a time, at once). */
  maxPairs?: number;
  maxWaitMs?: number;
  /** Runs the micro-batch wait (tests); timers of the retries, timeouts and simulated delays (tests). */
  scheduler?: SchedulerLike;
  timers?: Timers;
}

/** The RM's backend config: its `scorers` entry, else the simulator when the loop has one. */
export function scorerConfig(s: LoopSettings, rm: string): ScorerConfig {
  const cfg = s.scorers?.[rm];
  if (cfg !== undefined) return cfg;
  if (s.sim !== undefined) return { backend: 'sim' };
  throw new RouterError(
    'RR_INVALID_CONFIG',
    `scorers: RM ${JSON.stringify(rm)} has no scorer backend, and the loop has no "sim" section to simulate it`,
    { field: 'scorers' },
  );
}

export async function startScorerApp(ctx: AppContext, opts: ScorerOptions = {}): Promise<AppHandle> {
  const { bus, codec, clock, settings: s } = ctx;
  const rm = opts.rm;
  if (rm === undefined || !s.arms.includes(rm))
    throw new RouterError('RR_INVALID_CONFIG', `scorer: rm ${JSON.stringify(rm)} is not one of ${s.arms.join(', ')}`, { field: 'rm' });
  const stats = { scored: 0, unscored: 0, microBatches: 0 };
  const cfg = opts.backend === undefined ? scorerConfig(s, rm) : undefined;
  const backend =
    opts.backend ??
    (await createRmBackend(cfg!, {
      clock,
      seed: s.seed,
      run: s.run,
      rm,
      arms: s.arms,
      sim: s.sim,
      simDelayMs: opts.delayMs,
      timers: opts.timers,
      log: ctx.log,
    }));
  await backend.preflight?.();
  ctx.log.info('scorer backend', {
    rm,
    kind: backend.kind,
    modelVersion: backend.modelVersion,
    ...('rung' in backend ? { rung: backend.rung } : {}),
  });
  // A backend that answers from memory (the simulator, recorded scores) takes each request at once.
  const bounds = cfg === undefined || cfg.backend === 'sim' ? simMicroBatch : cfg;
  const score = scoreMicroBatch({
    backend,
    arms: s.arms,
    clock,
    scheduler: opts.scheduler,
    maxPairs: opts.maxPairs ?? bounds.maxPairs,
    maxWaitMs: opts.maxWaitMs ?? bounds.maxWaitMs,
    onBatch: () => {
      stats.microBatches++;
    },
  });
  const producer = await bus.producer();
  const runner = await runStage(ctx, producer, {
    name: `scorer.${rm}`,
    groupId: `${s.prefix}scorer.${rm}`,
    topics: [requestsTopic(s.prefix, rm)],
    maxBatchSize: opts.maxBatchSize,
    perRecord: (records$) =>
      records$.pipe(
        decodeRecords(codec, 'requests'),
        score,
        deadLetterOn({ codec, clock, prefix: s.prefix, stage: `scorer.${rm}`, maxValueBytes: dlqValueBytes(s) }, async (score) => {
          for (const p of score.pairs)
            if (p.unscored != null) stats.unscored++;
            else stats.scored++;
          return [
            {
              topic: topicName(s.prefix, 'scores'),
              key: Buffer.from(recordKey('scores', score) as string),
              value: await codec.encode('scores', score),
            },
          ];
        }),
      ),
  });

  return {
    name: `scorer:${rm}`,
    stats: () => ({ ...stats, ...runner.counters, ...backend.stats() }),
    async close() {
      await runner.close();
      await producer.close();
      await backend.close?.();
    },
  };
}
