/**
 * The what-if's statistics, read from the topics: what the simulator says about the recorded pairs
 * (checked against the record: a what-if needs a simulated run), each namespace's side (routed-label
 * accuracy against gold, selection shares, the normalized rewards, the final posteriors), the
 * distance between the two sides' final posterior means, and the recorded shadow pairs on which
 * both methods' picks are compared (shadow.ts counts the agreements).
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import type { Bus } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import type { PosteriorSnapshot, Side } from '../../src/records/types.ts';
import type { OnlineStream, SimPair } from '../../src/sim/stream.ts';
import type { LoopSettings } from '../runtime/context.ts';
import { fromSnapshotRecord } from '../runtime/snapshotRecord.ts';
import { readFinalPosteriors } from '../loop/loop.ts';
import { scoreKey, type RecordedRun } from './recorded.ts';
import { verdict, type ShadowComparison, type ShadowPair } from './shadow.ts';
import type { WhatIf } from './whatIfParse.ts';

export interface RunSide {
  pairs: number;
  /** Share of routed pairs whose chosen RM labels them as gold does. */
  accuracy: number;
  /** Share of pairs routed to each RM, arm order. */
  shares: number[];
  /** The normalized rewards folded into the posteriors: count, mean and quantiles. */
  rewards: { n: number; mean: number; p10: number; p50: number; p90: number };
  snapshots: PosteriorSnapshot[];
}

export interface WhatIfResult {
  whatIf: WhatIf;
  batches: number;
  arms: string[];
  recorded: RunSide;
  replayed: RunSide;
  /** Per RM: the Euclidean distance between the recorded and the what-if final posterior means. */
  posteriorDistance: number[];
  /** Both methods' picks on the recorded shadow pairs (every RM scored them); `pairs` 0 without shadow scoring. */
  shadow: ShadowComparison & { tieEps: number };
}

/** The RM a namespace's decisions sent a pair to, and the pair's batch. */
export interface RoutedPick {
  batch: number;
  arm: number;
}

/** pairId → what the simulator knows of it: gold, and per RM whether its label agrees with gold. */
export type SimTruth = ReadonlyMap<string, Pick<SimPair, 'goldA' | 'correct'>>;

/**
 * Batches 0..batches−1 regenerated once by the simulator of the recorded settings, each checked pair
 * by pair against the recorded generations (RR_REPLAY when they differ: not the same stream), and
 * the simulator's truth about their pairs, which both sides' accuracy and the shadow pairs' gold use.
 */
export function simulatedTruth(stream: OnlineStream, rec: RecordedRun, batches: number): SimTruth {
  const truth = new Map<string, Pick<SimPair, 'goldA' | 'correct'>>();
  for (let t = 0; t < batches; t++) {
    const pairs = stream.generateBatch(t).prompts.flatMap((p) => p.pairs);
    const want = new Map(pairs.map((x) => [x.pairId, x.x] as const));
    const got = (rec.generations.get(t) ?? []).flatMap((g) => g.value.pairs);
    const same =
      got.length === want.size &&
      got.every((p) => {
        const x = want.get(p.pairId);
        return x !== undefined && (p.embedding.length === 0 || p.embedding.every((v, i) => Object.is(v, x[i])));
      });
    if (!same)
      throw new RouterError(
        'RR_REPLAY',
        `batch ${t} of the record is not what the simulator of these settings generates: a what-if needs a simulated run (the pairs it routes elsewhere, and their losses, come from the simulated scorers and trainer)`,
        { field: 'namespace' },
      );
    for (const p of pairs) truth.set(p.pairId, { goldA: p.goldA, correct: p.correct });
  }
  return truth;
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The posterior mean μ of a snapshot (μ_i = ⟨e_i, μ⟩). */
export function posteriorMean(snap: PosteriorSnapshot): Float64Array {
  const p = ArmPosterior.restore(fromSnapshotRecord(snap).posterior);
  const e = new Float64Array(snap.d);
  return Float64Array.from({ length: snap.d }, (_, i) => {
    e.fill(0);
    e[i] = 1;
    return p.meanScore(e);
  });
}

/** Per RM: the Euclidean distance between the two sides' final posterior means (NaN where a side has no snapshot). */
export function posteriorDistance(
  arms: readonly string[],
  recorded: readonly PosteriorSnapshot[],
  replayed: readonly PosteriorSnapshot[],
): number[] {
  return arms.map((rm) => {
    const a = recorded.find((x) => x.rm === rm),
      b = replayed.find((x) => x.rm === rm);
    if (!a || !b) return NaN;
    const ma = posteriorMean(a),
      mb = posteriorMean(b);
    return Math.hypot(...ma.map((v, i) => v - mb[i]!));
  });
}

/** A namespace's first decision per pair of batches 0..batches−1: the RM it chose. */
async function readPicks(bus: Bus, codec: RecordCodec, s: LoopSettings, batches: number): Promise<Map<string, RoutedPick>> {
  const chosen = new Map<string, RoutedPick>();
  for (const r of await bus.readToEnd(topicName(s.prefix, 'decisions'))) {
    if (r.value === null) continue;
    for (const d of pairDecisions(await codec.decode('decisions', r.value))) {
      if (d.run === s.run && d.batch < batches && !chosen.has(d.pairId)) chosen.set(d.pairId, { batch: d.batch, arm: d.chosen });
    }
  }
  return chosen;
}

/** The normalized rewards a namespace's deltas of batches 0..batches−1 carry, sorted. */
async function readRewards(bus: Bus, codec: RecordCodec, s: LoopSettings, batches: number): Promise<number[]> {
  const rewards: number[] = [];
  for (const r of await bus.readToEnd(topicName(s.prefix, 'posterior-deltas'))) {
    if (r.value === null) continue;
    const delta = await codec.decode('posterior-deltas', r.value);
    if (delta.run === s.run && delta.batch < batches) for (const row of delta.rows) rewards.push(row.r);
  }
  return rewards.sort((a, b) => a - b);
}

/** One namespace's side: decisions → accuracy and shares, deltas → rewards, final snapshots; and each pair's chosen arm. */
export async function readSide(
  bus: Bus,
  codec: RecordCodec,
  s: LoopSettings,
  batches: number,
  truth: SimTruth,
): Promise<RunSide & { chosen: Map<string, RoutedPick> }> {
  const chosen = await readPicks(bus, codec, s, batches);
  let ok = 0;
  for (const [pairId, c] of chosen) if (truth.get(pairId)?.correct[c.arm]) ok++;
  const counts = s.arms.map(() => 0);
  for (const c of chosen.values()) counts[c.arm]!++;
  const rewards = await readRewards(bus, codec, s, batches);
  const n = chosen.size;
  return {
    chosen,
    pairs: n,
    accuracy: n > 0 ? ok / n : 0,
    shares: counts.map((c) => (n > 0 ? c / n : 0)),
    rewards: {
      n: rewards.length,
      mean: rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length),
      p10: quantile(rewards, 0.1),
      p50: quantile(rewards, 0.5),
      p90: quantile(rewards, 0.9),
    },
    snapshots: await readFinalPosteriors(bus, codec, s),
  };
}

/** The recorded labels of the given pairs (none read when there are none). */
async function readLabels(bus: Bus, codec: RecordCodec, s: LoopSettings, pairIds: ReadonlySet<string>): Promise<Map<string, Side>> {
  const labels = new Map<string, Side>();
  if (pairIds.size === 0) return labels;
  for (const r of await bus.readToEnd(topicName(s.prefix, 'labels'))) {
    if (r.value === null) continue;
    const l = await codec.decode('labels', r.value);
    if (l.run === s.run) for (const p of l.pairs) if (pairIds.has(p.pairId)) labels.set(p.pairId, p.chosen);
  }
  return labels;
}

/**
 * The recorded run's shadow pairs (a score from every RM, at least one of them audit) with every RM's
 * verdict at the recorded tie threshold (a what-if of tieEps changes which labels are kept, not
 * which RM a pair goes to), both picks, the recorded label and the simulator's gold side.
 */
export async function shadowPairs(
  bus: Bus,
  codec: RecordCodec,
  s: LoopSettings,
  rec: RecordedRun,
  truth: SimTruth,
  recordedPicks: ReadonlyMap<string, RoutedPick>,
  whatIfPicks: ReadonlyMap<string, RoutedPick>,
): Promise<ShadowPair[]> {
  const audited = new Set<string>();
  for (const sc of rec.scores.values()) if (sc.audit) audited.add(sc.pairId);
  const labels = await readLabels(bus, codec, s, audited);
  const out: ShadowPair[] = [];
  for (const pairId of audited) {
    const scores = s.arms.map((rm) => rec.scores.get(scoreKey(rm, pairId)));
    const picked = recordedPicks.get(pairId);
    if (picked === undefined || scores.some((x) => x === undefined)) continue;
    const sim = truth.get(pairId);
    out.push({
      pairId,
      verdicts: scores.map((x) => verdict(x!.scoreA, x!.scoreB, s.tieEps)),
      recordedPick: picked.arm,
      whatIfPick: whatIfPicks.get(pairId)?.arm ?? -1,
      label: labels.get(pairId) ?? null,
      gold: sim === undefined ? null : sim.goldA ? 'A' : 'B',
    });
  }
  return out.sort((a, b) => (a.pairId < b.pairId ? -1 : a.pairId > b.pairId ? 1 : 0));
}
