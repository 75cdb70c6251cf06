/**
 * Restore paths of the stateful apps, run before they consume anything.
 *
 * Aggregator: `posterior-deltas` (read_committed, to its end) says which batches are closed and
 * exactly which pairs each one folded in (a delta row per pair, since the quantile normalizer
 * rewards every pair). Replaying those pairs' LOSS records from `feedback`, batch by batch in order,
 * through a fresh normalizer rebuilds its history exactly as the closes built it; the rewards it
 * computes are checked against the ones recorded in the deltas.
 *
 * Store: the latest snapshot per RM of this run from `posteriors`; the prior for RMs without one.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import type { Bus } from '../../src/bus/types.ts';
import { QuantileNormalizer, type PairLoss } from '../../src/core/normalize.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { PosteriorState } from '../../src/core/state.ts';
import { topicName } from '../../src/records/topics.ts';
import type { LoopSettings } from './context.ts';
import { fromSnapshotRecord } from './snapshotRecord.ts';

export interface AggregatorRestore {
  /** Last closed batch of the run; −1 when none. */
  lastClosed: number;
  normalizer: QuantileNormalizer;
  /** Closed batch → pairId → where its folded-in LOSS record is (`partition:offset`). */
  included: Map<number, Map<string, string>>;
  /** Batches whose replayed rewards differ from the recorded ones (feedback lost to retention?). */
  mismatches: number[];
}

async function decodeAll<B extends 'posterior-deltas' | 'feedback' | 'posteriors'>(bus: Bus, codec: RecordCodec, prefix: string, base: B) {
  const out = [];
  for (const r of await bus.readToEnd(topicName(prefix, base))) {
    if (r.value === null) continue;
    try {
      out.push({ at: `${r.partition}:${r.offset}`, value: await codec.decode(base, r.value) });
    } catch {
      // Undecodable records were dead-lettered by whoever consumed them; restore skips them.
    }
  }
  return out;
}

export async function restoreAggregator(bus: Bus, codec: RecordCodec, s: LoopSettings): Promise<AggregatorRestore> {
  /** batch → pairId → recorded reward and arm. */
  const recorded = new Map<number, Map<string, { arm: number; r: number }>>();
  for (const { value: delta } of await decodeAll(bus, codec, s.prefix, 'posterior-deltas')) {
    if (delta.run !== s.run) continue;
    let rows = recorded.get(delta.batch);
    if (rows === undefined) recorded.set(delta.batch, (rows = new Map()));
    const arm = s.arms.indexOf(delta.rm);
    for (const row of delta.rows) rows.set(row.pairId, { arm, r: row.r });
  }
  const losses = new Map<number, PairLoss[]>([...recorded.keys()].map((b) => [b, []]));
  const included = new Map<number, Map<string, string>>([...recorded.keys()].map((b) => [b, new Map()]));
  for (const { at, value: fb } of await decodeAll(bus, codec, s.prefix, 'feedback')) {
    const row = fb.pairId === null ? undefined : recorded.get(fb.batch)?.get(fb.pairId);
    if (fb.run !== s.run || fb.kind !== 'LOSS' || row === undefined || fb.loss === null || !Number.isFinite(fb.loss)) continue;
    const seen = included.get(fb.batch)!;
    if (seen.has(fb.pairId!)) continue; // a duplicate LOSS was dead-lettered, not folded in
    seen.set(fb.pairId!, at);
    losses.get(fb.batch)!.push({ pairId: fb.pairId!, arm: row.arm, loss: fb.loss });
  }
  const normalizer = new QuantileNormalizer(s.quantile);
  const mismatches: number[] = [];
  for (const batch of [...recorded.keys()].sort((a, b) => a - b)) {
    const list = losses.get(batch)!;
    const rows = recorded.get(batch)!;
    const rewards = normalizer.rewards(list);
    if (list.length !== rows.size || rewards.some((r, i) => !Object.is(r, rows.get(list[i]!.pairId)!.r))) mismatches.push(batch);
  }
  const lastClosed = recorded.size === 0 ? -1 : Math.max(...recorded.keys());
  return { lastClosed, normalizer, included, mismatches };
}

/** The prior posterior of every RM of the loop (the store's and the router's starting point). */
export function priorState(s: LoopSettings): PosteriorState {
  const embeddings = s.arms.map((arm) => {
    const k = s.prior.arms.indexOf(arm);
    if (k < 0) throw new Error(`RM ${arm} has no prior embedding`);
    return s.prior.embeddings[k]!;
  });
  return PosteriorState.fromPriors(s.run, s.arms, embeddings, s.posterior);
}

export async function restoreStore(bus: Bus, codec: RecordCodec, s: LoopSettings): Promise<PosteriorState> {
  const state = priorState(s);
  const latest = new Map<string, ReturnType<typeof fromSnapshotRecord>>();
  for (const { value: rec } of await decodeAll(bus, codec, s.prefix, 'posteriors')) {
    if (rec.run !== s.run || !s.arms.includes(rec.rm)) continue;
    try {
      latest.set(rec.rm, fromSnapshotRecord(rec));
    } catch {
      // A snapshot with the wrong d is not restorable; the RM keeps the previous one.
    }
  }
  const posteriors = s.arms.map((arm, k) => {
    const snap = latest.get(arm);
    return snap === undefined ? state.posteriors[k]! : ArmPosterior.restore(snap.posterior);
  });
  const versions = s.arms.map((arm) => latest.get(arm)?.version ?? -1);
  return new PosteriorState(s.run, s.arms, posteriors, versions);
}
