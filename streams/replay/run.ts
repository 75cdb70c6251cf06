/**
 * `reward-router replay`: re-runs batches a..b of a recorded run through router, scorers (answering
 * with the recorded scores), labeler, aggregator and store in a fresh namespace, with the recorded
 * settings and seed, and compares every decision and the final posteriors with the record.
 *
 * The recorded namespace is only read. Batches before a are restored the way the apps restore
 * after a crash: their posterior deltas and feedback are copied into the fresh namespace, so the
 * store rebuilds the posterior of version a − 1 and the aggregator its normalizer history; with
 * a = 0 the apps start from the prior. Batch t's generations go in only after batch t−1's decisions
 * are out (as the trainer paces the loop), so the router routes each batch with exactly the
 * posterior version the recorded run used.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { SingleObjectCodec, type RecordCodec } from '../../src/avro/codec.ts';
import type { Bus, BusProducer, Clock, OutRecord } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { topicName } from '../../src/records/topics.ts';
import { pairDecisions, type PairDecision } from '../../src/records/decisions.ts';
import type { DeadLetterReason, PosteriorSnapshot } from '../../src/records/types.ts';
import { startAggregatorApp } from '../aggregator/aggregator.ts';
import type { AppContext, AppHandle, Logger, LoopSettings } from '../runtime/context.ts';
import { startLabelerApp } from '../labeler/labeler.ts';
import { readFinalPosteriors } from '../loop/loop.ts';
import { startRouterApp, type RouterHandle } from '../router/router.ts';
import { startScorerApp } from '../scorer/scorer.ts';
import { startStoreApp } from '../store/store.ts';
import { createLoopTopics } from '../runtime/topics.ts';
import { recordedBackend } from './backend.ts';
import { compareDecisions, type Comparison } from './compare.ts';
import { readRecordedRun, type RecordedRun } from './recorded.ts';

export interface ReplayOptions {
  bus: Bus;
  /** The recorded run's settings; `prefix` is the recorded namespace (only read). */
  settings: LoopSettings;
  /** The fresh namespace the replay writes to. */
  into: string;
  /** Batch range, inclusive (default: the whole recorded run). */
  from?: number;
  to?: number;
  clock: Clock;
  log: Logger;
  codec?: RecordCodec;
  /** After each replayed batch: batches done, batches in all. */
  onProgress?: (done: number, total: number) => void;
  /** How long to wait for one batch's decisions, and for the last posterior (default 120 s). */
  waitMs?: number;
}

export interface PosteriorCheck {
  rm: string;
  /** Whether the recorded namespace still holds the snapshot of version `to` (compaction keeps the newest). */
  recorded: boolean;
  identical: boolean;
}

export interface ReplayResult {
  from: number;
  to: number;
  comparison: Comparison;
  posteriors: PosteriorCheck[];
  /** Dead letters written in the fresh namespace, by reason. */
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  /** The replayed decisions by pair id, and the final replayed snapshots (what-if and tests read them). */
  replayed: Map<string, PairDecision>;
  snapshots: PosteriorSnapshot[];
}

const sameSnapshot = (a: PosteriorSnapshot, b: PosteriorSnapshot): boolean =>
  a.version === b.version && a.n === b.n && a.precision.equals(b.precision) && a.b.equals(b.b) && a.factor.equals(b.factor);

/** Snapshot of version `v` per RM, from every record still on the recorded `posteriors`. */
async function recordedSnapshots(bus: Bus, codec: RecordCodec, s: LoopSettings, v: number): Promise<Map<string, PosteriorSnapshot>> {
  const out = new Map<string, PosteriorSnapshot>();
  for (const r of await bus.readToEnd(topicName(s.prefix, 'posteriors'))) {
    if (r.value === null) continue;
    const snap = await codec.decode('posteriors', r.value);
    if (snap.run === s.run && snap.version === v) out.set(snap.rm, snap);
  }
  return out;
}

/** The deltas and feedback of batches before `from`, copied as they are (the restore input). */
async function historyBefore(
  bus: Bus,
  codec: RecordCodec,
  s: LoopSettings,
  rec: RecordedRun,
  from: number,
  into: string,
): Promise<OutRecord[]> {
  if (from === 0) return [];
  const out: OutRecord[] = [];
  for (const r of await bus.readToEnd(topicName(s.prefix, 'posterior-deltas'))) {
    if (r.value === null) continue;
    const delta = await codec.decode('posterior-deltas', r.value);
    if (delta.run === s.run && delta.batch < from) out.push({ topic: topicName(into, 'posterior-deltas'), key: r.key, value: r.value });
  }
  for (const [batch, list] of rec.feedback) {
    if (batch < from) for (const f of list) out.push({ topic: topicName(into, 'feedback'), key: f.raw.key, value: f.raw.value });
  }
  return out;
}

/** Batches from..to; RR_REPLAY when they are not within the recorded run. */
function batchRange(rec: RecordedRun, from: number, to: number): { from: number; to: number } {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to && to <= rec.lastBatch)) {
    throw new RouterError('RR_REPLAY', `batches ${from}..${to} are not within the recorded 0..${rec.lastBatch}`, { field: 'batches' });
  }
  return { from, to };
}

/** Creates the fresh namespace's topics; RR_REPLAY when it already holds decisions. */
async function createFreshNamespace(bus: Bus, qs: LoopSettings): Promise<void> {
  await createLoopTopics(bus, qs);
  if ((await bus.readToEnd(topicName(qs.prefix, 'decisions'))).length > 0) {
    throw new RouterError('RR_REPLAY', `namespace ${JSON.stringify(qs.prefix)} already holds decisions: replay into a fresh one`, {
      field: 'into',
    });
  }
}

/** Sends records in bounded produce requests (500 a request). */
async function sendInChunks(producer: BusProducer, records: readonly OutRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) await producer.send(records.slice(i, i + 500));
}

/** Starts the loop's apps in the fresh namespace, the scorers answering from the record; each is pushed onto `apps` as it starts. */
async function startReplayApps(ctx: AppContext, rec: RecordedRun, apps: AppHandle[]): Promise<RouterHandle> {
  apps.push(await startStoreApp(ctx));
  apps.push(await startAggregatorApp(ctx));
  for (const rm of ctx.settings.arms) apps.push(await startScorerApp(ctx, { rm, backend: recordedBackend(rec.scores, rm) }));
  apps.push(await startLabelerApp(ctx));
  const router = await startRouterApp(ctx);
  apps.push(router);
  return router;
}

/** Follows the fresh namespace's decisions: the pair ids seen per batch, and a bounded wait for a batch's. */
interface DecisionWatch {
  /** Starts consuming (once the apps run). */
  start(): Promise<void>;
  /** Until `want` pairs of batch `t` are decided or `waitMs` passes. */
  waitFor(t: number, want: number, waitMs: number): Promise<void>;
  close(): Promise<void>;
}

async function watchDecisions(bus: Bus, codec: RecordCodec, into: string): Promise<DecisionWatch> {
  const seen = new Map<number, Set<string>>();
  let wake: (() => void) | null = null;
  const watcher = await bus.consumer({ groupId: `${into}replay-watch`, topics: [topicName(into, 'decisions')], fromBeginning: true });
  return {
    start: () =>
      watcher.run(async (batch) => {
        for (const r of batch.records) {
          if (r.value === null) continue;
          for (const d of pairDecisions(await codec.decode('decisions', r.value))) {
            let set = seen.get(d.batch);
            if (!set) seen.set(d.batch, (set = new Set()));
            set.add(d.pairId);
          }
        }
        wake?.();
      }),
    // In 200 ms ticks, so the injected clock is never read for it.
    async waitFor(t, want, waitMs) {
      for (let tick = 0; (seen.get(t)?.size ?? 0) < want && tick < waitMs / 200; tick++) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
        wake = null;
      }
    },
    close: () => watcher.close(),
  };
}

/**
 * Batches from..to: each batch's recorded generations, a bounded wait for its decisions (a replay
 * that routes fewer pairs still goes on, and the comparison names them), then its recorded feedback.
 */
async function feedBatches(
  o: ReplayOptions,
  producer: BusProducer,
  rec: RecordedRun,
  watch: DecisionWatch,
  from: number,
  to: number,
  waitMs: number,
): Promise<void> {
  const expected = new Map<number, number>();
  for (const d of rec.decisions.values()) expected.set(d.batch, (expected.get(d.batch) ?? 0) + 1);
  for (let t = from; t <= to; t++) {
    const gens = rec.generations.get(t) ?? [];
    await producer.send(gens.map((g) => ({ topic: topicName(o.into, 'generations'), key: g.raw.key, value: g.raw.value })));
    await watch.waitFor(t, expected.get(t) ?? 0, waitMs);
    await producer.send(
      (rec.feedback.get(t) ?? []).map((f) => ({ topic: topicName(o.into, 'feedback'), key: f.raw.key, value: f.raw.value })),
    );
    o.onProgress?.(t - from + 1, to - from + 1);
  }
}

/** A namespace's decisions by pair id (the first one of each pair). */
async function readDecisions(bus: Bus, codec: RecordCodec, prefix: string): Promise<Map<string, PairDecision>> {
  const out = new Map<string, PairDecision>();
  for (const r of await bus.readToEnd(topicName(prefix, 'decisions'))) {
    if (r.value === null) continue;
    for (const d of pairDecisions(await codec.decode('decisions', r.value))) if (!out.has(d.pairId)) out.set(d.pairId, d);
  }
  return out;
}

/** Per RM: whether the replay's final snapshot is the recorded snapshot of version `to` (when the record still holds it). */
async function checkPosteriors(
  bus: Bus,
  codec: RecordCodec,
  s: LoopSettings,
  to: number,
  snapshots: readonly PosteriorSnapshot[],
): Promise<PosteriorCheck[]> {
  const want = await recordedSnapshots(bus, codec, s, to);
  return s.arms.map((rm): PosteriorCheck => {
    const a = want.get(rm);
    const b = snapshots.find((x) => x.rm === rm);
    return { rm, recorded: a !== undefined, identical: a !== undefined && b !== undefined && sameSnapshot(a, b) };
  });
}

/** A namespace's dead letters, by reason. */
async function countDeadLetters(bus: Bus, codec: RecordCodec, prefix: string): Promise<ReplayResult['deadLetters']> {
  const deadLetters: ReplayResult['deadLetters'] = {};
  for (const r of await bus.readToEnd(topicName(prefix, 'dlq'))) {
    const reason = (await codec.decode('dlq', r.value!)).reason;
    deadLetters[reason] = (deadLetters[reason] ?? 0) + 1;
  }
  return deadLetters;
}

/** What the replay of batches from..to wrote into `qs`'s namespace, compared with the record. */
async function replayResult(
  bus: Bus,
  codec: RecordCodec,
  s: LoopSettings,
  qs: LoopSettings,
  rec: RecordedRun,
  from: number,
  to: number,
): Promise<ReplayResult> {
  const replayed = await readDecisions(bus, codec, qs.prefix);
  const recorded = new Map([...rec.decisions].filter(([, d]) => d.batch >= from && d.batch <= to));
  const comparison = compareDecisions(recorded, replayed, rec.order);
  const snapshots = await readFinalPosteriors(bus, codec, qs);
  const posteriors = await checkPosteriors(bus, codec, s, to, snapshots);
  const deadLetters = await countDeadLetters(bus, codec, qs.prefix);
  return { from, to, comparison, posteriors, deadLetters, replayed, snapshots };
}

export async function replayRun(o: ReplayOptions): Promise<ReplayResult> {
  const s = o.settings;
  const codec = o.codec ?? new SingleObjectCodec();
  const waitMs = o.waitMs ?? 120_000;
  if (o.into === s.prefix)
    throw new RouterError('RR_REPLAY', 'the replay must write into a fresh namespace, not the recorded one', { field: 'into' });
  const rec = await readRecordedRun(o.bus, codec, s.prefix, s.run);
  const { from, to } = batchRange(rec, o.from ?? 0, o.to ?? rec.lastBatch);
  const qs: LoopSettings = { ...s, prefix: o.into };
  await createFreshNamespace(o.bus, qs);
  const ctx: AppContext = { bus: o.bus, codec, clock: o.clock, log: o.log, settings: qs };
  const producer = await o.bus.producer();
  const apps: AppHandle[] = [];
  const watch = await watchDecisions(o.bus, codec, o.into);
  try {
    await sendInChunks(producer, await historyBefore(o.bus, codec, s, rec, from, o.into));
    const router = await startReplayApps(ctx, rec, apps);
    await watch.start();
    // Batch t's generations go in once batch t−1's decisions are out: each batch is routed with the recorded posterior version.
    await feedBatches(o, producer, rec, watch, from, to, waitMs);
    await firstValueFrom(
      router.replica.version$.pipe(
        filter((v) => v >= to),
        timeout({ first: waitMs }),
      ),
    );
    return await replayResult(o.bus, codec, s, qs, rec, from, to);
  } finally {
    await watch.close().catch(() => {});
    for (const a of apps.reverse()) await a.close().catch((err: unknown) => o.log.warn('close failed', { app: a.name, err: String(err) }));
    await producer.close().catch(() => {});
  }
}

/** Whether a replay reproduced the record: every decision identical, every posterior that can be checked identical. */
export function reproduced(r: ReplayResult): boolean {
  return r.comparison.first === null && r.posteriors.every((p) => !p.recorded || p.identical);
}
