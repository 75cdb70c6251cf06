/**
 * The scorer app, one per RM: consumes `requests.<rm>` (group `scorer.<rm>`),
 * scores each request with a ScoreBackend and produces one Score per request.
 * The simulated backend scores on the common gap scale of the simulator:
 * scoreA − scoreB = ±gap[rm], the sign being the RM's (possibly wrong) preference.
 */
import { codecError } from '../../src/avro/errors.ts';
import { RouterError } from '../../src/core/errors.ts';
import { deadLetterOn } from '../../src/operators/deadLetterOn.ts';
import { decodeRecords } from '../../src/operators/decodeRecords.ts';
import { scoreMicroBatch } from '../../src/operators/scoreMicroBatch.ts';
import { scorePairs, type ScoreBackend } from '../../src/operators/scorePairs.ts';
import { createRmBackend } from '../../src/scorers/index.ts';
import type { Timers } from '../../src/scorers/resilience.ts';
import type { RmBackend } from '../../src/scorers/types.ts';
import type { SchedulerLike } from 'rxjs';
import { recordKey, requestsTopic, topicName } from '../../src/records/topics.ts';
import type { PairScore, ScoringRequest } from '../../src/records/types.ts';
import { routedLabel } from '../../src/sim/labels.ts';
import { selectModels } from '../../src/sim/profiles.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { onlineStreamFromWorld, type OnlineStream, type SimPair } from '../../src/sim/stream.ts';
import { buildWorld } from '../../src/sim/world.ts';
import type { AppContext, AppHandle, LoopSettings } from '../runtime/context.ts';
import { runStage } from '../runtime/stage.ts';

/** The simulated online stream of a loop's settings (the same batches the trainer sends). */
export function simStream(s: LoopSettings): OnlineStream {
  return onlineStreamFromWorld(buildWorld(selectModels(loadProfilesFile(s.sim.profiles), s.arms), s.sim.config, s.seed));
}

/**
 * Looks pairs up in the simulated batch they came from (generated without embeddings: a scorer
 * needs only the outcomes). Keeps the last `keep` batches: requests of several batches interleave
 * when a backlog is drained, and regenerating a batch per request would dominate a scorer's time.
 */
export class SimPairIndex {
  readonly #stream: OnlineStream;
  readonly #cache = new Map<number, Map<string, SimPair>>();
  constructor(stream: OnlineStream, readonly keep = 64) { this.#stream = stream; }

  pair(batch: number, pairId: string): SimPair {
    let pairs = this.#cache.get(batch);
    if (!pairs) {
      pairs = new Map(this.#stream.generateBatch(batch, { embeddings: false }).prompts.flatMap((p) => p.pairs.map((x) => [x.pairId, x] as const)));
      this.#cache.set(batch, pairs);
      if (this.#cache.size > this.keep) this.#cache.delete(this.#cache.keys().next().value!);
    }
    const p = pairs.get(pairId);
    if (!p) throw codecError('RR_INVALID_RECORD', 'UNKNOWN_PAIR', `pair ${pairId} is not in simulated batch ${batch}`, { pairId });
    return p;
  }
}

/**
 * The scorer apps of one loop in one process (the one-process loop, the pipeline bench) share one
 * index: batch t is a pure function of (settings, t), so each scorer regenerating it was the same
 * work done once per RM.
 */
const simIndexes = new WeakMap<LoopSettings, SimPairIndex>();
function sharedSimIndex(s: LoopSettings): SimPairIndex {
  let index = simIndexes.get(s);
  if (index === undefined) simIndexes.set(s, index = new SimPairIndex(simStream(s)));
  return index;
}

/** The simulated backend: scoreA = +g/2, scoreB = −g/2 when the RM prefers A (so scoreA − scoreB = g exactly). */
export function simBackend(index: SimPairIndex, arms: readonly string[], delay?: (ms: number) => Promise<void>, delayMs = 0): ScoreBackend {
  return {
    modelVersion: 'sim',
    async score(req: ScoringRequest): Promise<PairScore[]> {
      if (delayMs > 0 && delay) await delay(delayMs);
      const k = arms.indexOf(req.rm);
      return req.pairs.map((rp) => {
        const p = index.pair(req.batch, rp.pairId);
        const half = p.gap[k]! / 2;
        const { prefersA } = routedLabel(p, k);
        return { pairId: rp.pairId, index: rp.index, scoreA: prefersA ? half : -half, scoreB: prefersA ? -half : half };
      });
    },
  };
}

export interface ScorerOptions {
  /** The RM this instance serves (required). */
  rm?: string;
  /** Another backend (an HTTP RM server…); default the simulated one. */
  backend?: ScoreBackend;
  /** Simulated GPU time per request (backpressure tests). */
  delayMs?: number;
  maxBatchSize?: number;
  /** A real RM backend (default: the one `settings.scorers[rm]` names, if any); micro-batched. */
  rmBackend?: RmBackend;
  /** Micro-batch bounds for `rmBackend` (default: the RM's config, else 256 pairs / 5 ms). */
  maxPairs?: number;
  maxWaitMs?: number;
  /** Runs the micro-batch wait (tests); timers of the retries and timeouts (tests). */
  scheduler?: SchedulerLike;
  timers?: Timers;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startScorerApp(ctx: AppContext, opts: ScorerOptions = {}): Promise<AppHandle> {
  const { bus, codec, clock, settings: s } = ctx;
  const rm = opts.rm;
  if (rm === undefined || !s.arms.includes(rm)) throw new RouterError('RR_INVALID_CONFIG', `scorer: rm ${JSON.stringify(rm)} is not one of ${s.arms.join(', ')}`, { field: 'rm' });
  const stats = { scored: 0, unscored: 0, microBatches: 0 };
  const cfg = s.scorers?.[rm];
  const real = opts.rmBackend ?? (cfg !== undefined && cfg.backend !== 'sim' && opts.backend === undefined
    ? await createRmBackend(cfg, { clock, seed: s.seed, run: s.run, rm, timers: opts.timers })
    : undefined);
  if (real !== undefined) ctx.log.info('scorer backend', { rm, kind: real.kind, modelVersion: real.modelVersion, ...('rung' in real ? { rung: real.rung } : {}) });
  const mb = cfg !== undefined && cfg.backend !== 'sim' ? cfg : undefined;
  // Real RMs: micro-batched across prompts (scoreMicroBatch); the simulator: one request at a time, as before.
  const score = real !== undefined
    ? scoreMicroBatch({ backend: real, arms: s.arms, clock, scheduler: opts.scheduler, maxPairs: opts.maxPairs ?? mb?.maxPairs ?? 256,
      maxWaitMs: opts.maxWaitMs ?? mb?.maxWaitMs ?? 5, onBatch: () => { stats.microBatches++; } })
    : scorePairs({ backend: opts.backend ?? simBackend(sharedSimIndex(s), s.arms, sleep, opts.delayMs ?? 0), arms: s.arms, clock });
  const producer = await bus.producer();
  const runner = await runStage(ctx, producer, {
    name: `scorer.${rm}`, groupId: `${s.prefix}scorer.${rm}`, topics: [requestsTopic(s.prefix, rm)], maxBatchSize: opts.maxBatchSize,
    perRecord: (records$) => records$.pipe(
      decodeRecords(codec, 'requests'),
      score,
      deadLetterOn({ codec, clock, prefix: s.prefix, stage: `scorer.${rm}` }, async (score) => {
        for (const p of score.pairs) if (p.unscored != null) stats.unscored++; else stats.scored++;
        return [{ topic: topicName(s.prefix, 'scores'), key: Buffer.from(recordKey('scores', score) as string), value: await codec.encode('scores', score) }];
      }),
    ),
  });

  return {
    name: `scorer:${rm}`,
    stats: () => ({ ...stats, ...runner.counters, ...(real ? real.stats() : {}) }),
    async close() {
      await runner.close();
      await producer.close();
      await real?.close?.();
    },
  };
}
