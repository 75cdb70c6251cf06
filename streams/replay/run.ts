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
import type { Bus, Clock, OutRecord } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { topicName } from '../../src/records/topics.ts';
import { pairDecisions, type PairDecision } from '../../src/records/decisions.ts';
import type { DeadLetterReason, PosteriorSnapshot } from '../../src/records/types.ts';
import { startAggregatorApp } from '../aggregator/aggregator.ts';
import type { AppContext, AppHandle, Logger, LoopSettings } from '../runtime/context.ts';
import { startLabelerApp } from '../labeler/labeler.ts';
import { readFinalPosteriors } from '../loop/loop.ts';
import { startRouterApp } from '../router/router.ts';
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
async function historyBefore(bus: Bus, codec: RecordCodec, s: LoopSettings, rec: RecordedRun, from: number, into: string): Promise<OutRecord[]> {
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

export async function replayRun(o: ReplayOptions): Promise<ReplayResult> {
  const s = o.settings;
  const codec = o.codec ?? new SingleObjectCodec();
  const waitMs = o.waitMs ?? 120_000;
  if (o.into === s.prefix) throw new RouterError('RR_REPLAY', 'the replay must write into a fresh namespace, not the recorded one', { field: 'into' });
  const rec = await readRecordedRun(o.bus, codec, s.prefix, s.run);
  const from = o.from ?? 0;
  const to = o.to ?? rec.lastBatch;
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to && to <= rec.lastBatch)) {
    throw new RouterError('RR_REPLAY', `batches ${from}..${to} are not within the recorded 0..${rec.lastBatch}`, { field: 'batches' });
  }
  const qs: LoopSettings = { ...s, prefix: o.into };
  await createLoopTopics(o.bus, qs);
  if ((await o.bus.readToEnd(topicName(o.into, 'decisions'))).length > 0) {
    throw new RouterError('RR_REPLAY', `namespace ${JSON.stringify(o.into)} already holds decisions: replay into a fresh one`, { field: 'into' });
  }
  const ctx: AppContext = { bus: o.bus, codec, clock: o.clock, log: o.log, settings: qs };
  const producer = await o.bus.producer();
  const apps: AppHandle[] = [];
  const seen = new Map<number, Set<string>>();
  let wake: (() => void) | null = null;
  const watcher = await o.bus.consumer({ groupId: `${o.into}replay-watch`, topics: [topicName(o.into, 'decisions')], fromBeginning: true });
  try {
    const history = await historyBefore(o.bus, codec, s, rec, from, o.into);
    for (let i = 0; i < history.length; i += 500) await producer.send(history.slice(i, i + 500)); // bounded produce requests
    apps.push(await startStoreApp(ctx));
    apps.push(await startAggregatorApp(ctx));
    for (const rm of s.arms) apps.push(await startScorerApp(ctx, { rm, backend: recordedBackend(rec.scores, rm) }));
    apps.push(await startLabelerApp(ctx));
    const router = await startRouterApp(ctx);
    apps.push(router);
    await watcher.run(async (batch) => {
      for (const r of batch.records) {
        if (r.value === null) continue;
        for (const d of pairDecisions(await codec.decode('decisions', r.value))) {
          let set = seen.get(d.batch);
          if (!set) seen.set(d.batch, set = new Set());
          set.add(d.pairId);
        }
      }
      wake?.();
    });
    const expected = new Map<number, number>();
    for (const d of rec.decisions.values()) expected.set(d.batch, (expected.get(d.batch) ?? 0) + 1);
    for (let t = from; t <= to; t++) {
      const gens = rec.generations.get(t) ?? [];
      await producer.send(gens.map((g) => ({ topic: topicName(o.into, 'generations'), key: g.raw.key, value: g.raw.value })));
      const want = expected.get(t) ?? 0;
      // Bounded wait for this batch's decisions (in 200 ms ticks, so the injected clock is never read
      // for it): a replay that routes fewer pairs still goes on, and the comparison names them.
      for (let tick = 0; (seen.get(t)?.size ?? 0) < want && tick < waitMs / 200; tick++) {
        await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 200); });
        wake = null;
      }
      await producer.send((rec.feedback.get(t) ?? []).map((f) => ({ topic: topicName(o.into, 'feedback'), key: f.raw.key, value: f.raw.value })));
      o.onProgress?.(t - from + 1, to - from + 1);
    }
    await firstValueFrom(router.replica.version$.pipe(filter((v) => v >= to), timeout({ first: waitMs })));
    const replayed = new Map<string, PairDecision>();
    for (const r of await o.bus.readToEnd(topicName(o.into, 'decisions'))) {
      if (r.value === null) continue;
      for (const d of pairDecisions(await codec.decode('decisions', r.value))) if (!replayed.has(d.pairId)) replayed.set(d.pairId, d);
    }
    const recorded = new Map([...rec.decisions].filter(([, d]) => d.batch >= from && d.batch <= to));
    const comparison = compareDecisions(recorded, replayed, rec.order);
    const snapshots = await readFinalPosteriors(o.bus, codec, qs);
    const want = await recordedSnapshots(o.bus, codec, s, to);
    const posteriors = s.arms.map((rm): PosteriorCheck => {
      const a = want.get(rm);
      const b = snapshots.find((x) => x.rm === rm);
      return { rm, recorded: a !== undefined, identical: a !== undefined && b !== undefined && sameSnapshot(a, b) };
    });
    const deadLetters: ReplayResult['deadLetters'] = {};
    for (const r of await o.bus.readToEnd(topicName(o.into, 'dlq'))) {
      const reason = (await codec.decode('dlq', r.value!)).reason;
      deadLetters[reason] = (deadLetters[reason] ?? 0) + 1;
    }
    return { from, to, comparison, posteriors, deadLetters, replayed, snapshots };
  } finally {
    await watcher.close().catch(() => {});
    for (const a of apps.reverse()) await a.close().catch((err: unknown) => o.log.warn('close failed', { app: a.name, err: String(err) }));
    await producer.close().catch(() => {});
  }
}

/** Whether a replay reproduced the record: every decision identical, every posterior that can be checked identical. */
export function reproduced(r: ReplayResult): boolean {
  return r.comparison.first === null && r.posteriors.every((p) => !p.recorded || p.identical);
}
