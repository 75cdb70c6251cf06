/**
 * The whole loop in one process: topics, store, aggregator, one scorer per RM,
 * labeler, router, then the simulated trainer; waits for the trainer and for
 * the store to apply the last batch, reads the final posteriors, closes every
 * app and returns a summary. The bus and the clock are injected: the in-process
 * bus for `npm start` and tests, the kafkajs bus for `start --brokers`.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { SingleObjectCodec, type RecordCodec } from '../../src/avro/codec.ts';
import type { Bus, Clock } from '../../src/bus/types.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import type { DeadLetterReason, PosteriorSnapshot } from '../../src/records/types.ts';
import { startAggregatorApp } from '../aggregator/aggregator.ts';
import type { AppContext, AppHandle, Logger, LoopSettings } from '../runtime/context.ts';
import { startLabelerApp } from '../labeler/labeler.ts';
import { startRouterApp } from '../router/router.ts';
import { startScorerApp } from '../scorer/scorer.ts';
import type { TrainerModule } from '../trainer/module.ts';
import { simStream } from '../trainer/simulated.ts';
import { startStoreApp } from '../store/store.ts';
import { createLoopTopics } from '../runtime/topics.ts';
import { startTrainerApp } from '../trainer/trainer.ts';

export interface LoopOptions {
  bus: Bus;
  settings: LoopSettings;
  batches: number;
  clock: Clock;
  log: Logger;
  codec?: RecordCodec;
  /** After each batch: t, and every app's counters by app name. */
  onProgress?: (t: number, stats: Record<string, Record<string, number>>) => void;
  /** Simulated GPU time per scoring request. */
  scorerDelayMs?: number;
  /** What the trainer app drives (default: the simulated policy, which needs the loop's `sim` section). */
  trainer?: TrainerModule;
  /** How long to wait for the store to apply the last batch once the trainer is done (default 120 s). */
  finalWaitMs?: number;
}

export interface LoopSummary {
  batches: number;
  pairs: number;
  /** Share of routed pairs whose chosen RM labels them right (the eval's accuracy, from `decisions`). */
  accuracy: number;
  /** Share of kept labels that agree with gold. */
  keptAccuracy: number;
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  /** From the injected clock. */
  wallMs: number;
  /** The latest snapshot per RM, in arm order. */
  snapshots: PosteriorSnapshot[];
  stats: Record<string, Record<string, number>>;
}

/** The latest snapshot of each RM of the run on `posteriors` (read to its end). */
export async function readFinalPosteriors(bus: Bus, codec: RecordCodec, s: LoopSettings): Promise<PosteriorSnapshot[]> {
  const latest = new Map<string, PosteriorSnapshot>();
  for (const r of await bus.readToEnd(topicName(s.prefix, 'posteriors'))) {
    if (r.value === null) continue;
    const snap = await codec.decode('posteriors', r.value);
    const prev = latest.get(snap.rm);
    if (snap.run === s.run && (!prev || snap.version >= prev.version)) latest.set(snap.rm, snap);
  }
  return s.arms.flatMap((rm) => latest.get(rm) ?? []);
}

/**
 * Routed-label accuracy over the decisions of the run (each pair once; NaN without a simulator, which
 * alone knows which RM was right), and dead letters by reason.
 */
async function tally(
  bus: Bus,
  codec: RecordCodec,
  s: LoopSettings,
): Promise<{ accuracy: number; pairs: number; deadLetters: LoopSummary['deadLetters'] }> {
  const chosen = new Map<string, { batch: number; arm: number }>();
  for (const r of await bus.readToEnd(topicName(s.prefix, 'decisions'))) {
    for (const d of pairDecisions(await codec.decode('decisions', r.value!))) {
      if (d.run === s.run && !chosen.has(d.pairId)) chosen.set(d.pairId, { batch: d.batch, arm: d.chosen });
    }
  }
  const deadLetters: LoopSummary['deadLetters'] = {};
  for (const r of await bus.readToEnd(topicName(s.prefix, 'dlq'))) {
    const reason = (await codec.decode('dlq', r.value!)).reason;
    deadLetters[reason] = (deadLetters[reason] ?? 0) + 1;
  }
  return { accuracy: routedAccuracy(s, chosen), pairs: chosen.size, deadLetters };
}

/** The share of routed pairs whose RM was right, by the simulator's truth; NaN without a simulator. */
function routedAccuracy(s: LoopSettings, chosen: ReadonlyMap<string, { batch: number; arm: number }>): number {
  if (s.sim === undefined) return NaN;
  const stream = simStream(s);
  let ok = 0;
  for (const t of new Set([...chosen.values()].map((c) => c.batch))) {
    for (const p of stream.generateBatch(t).prompts.flatMap((x) => x.pairs)) {
      const c = chosen.get(p.pairId);
      if (c && p.correct[c.arm]) ok++;
    }
  }
  return chosen.size > 0 ? ok / chosen.size : 0;
}

export async function runLoop(o: LoopOptions): Promise<LoopSummary> {
  const s = o.settings;
  const codec = o.codec ?? new SingleObjectCodec();
  const ctx: AppContext = { bus: o.bus, codec, clock: o.clock, log: o.log, settings: s };
  const started = o.clock.now();
  await createLoopTopics(o.bus, s);
  const apps: AppHandle[] = [];
  const stats = () => Object.fromEntries(apps.map((a) => [a.name, a.stats()]));
  try {
    apps.push(await startStoreApp(ctx));
    apps.push(await startAggregatorApp(ctx));
    for (const rm of s.arms) apps.push(await startScorerApp(ctx, { rm, delayMs: o.scorerDelayMs }));
    apps.push(await startLabelerApp(ctx));
    const router = await startRouterApp(ctx);
    apps.push(router);
    const trainer = await startTrainerApp(ctx, {
      batches: o.batches,
      ...(o.trainer ? { module: o.trainer } : {}),
      onBatch: (t) => o.onProgress?.(t, stats()),
    });
    apps.push(trainer);
    await trainer.done;
    await firstValueFrom(
      router.replica.version$.pipe(
        filter((v) => v >= o.batches - 1),
        timeout({ first: o.finalWaitMs ?? 120_000 }),
      ),
    );
    const snapshots = await readFinalPosteriors(o.bus, codec, s);
    const { accuracy, pairs, deadLetters } = await tally(o.bus, codec, s);
    const t = trainer.stats();
    return {
      batches: t.batch!,
      pairs,
      accuracy,
      keptAccuracy: t.kept! > 0 ? t.keptCorrect! / t.kept! : 0,
      deadLetters,
      wallMs: o.clock.now() - started,
      snapshots,
      stats: stats(),
    };
  } finally {
    for (const a of apps.reverse()) await a.close().catch((err: unknown) => o.log.warn('close failed', { app: a.name, err: String(err) }));
  }
}
