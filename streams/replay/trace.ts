/**
 * `reward-router trace <pair-id>`: one pair's whole path, read from the topics of its namespace:
 * the decision (context digest, each arm's mean, std and sample, the chosen RM, posterior version
 * and seed), the chosen RM's scores, a shadow pair's audit scores from every other RM, the label
 * (absent when the labeler did not keep the pair), the trainer's loss, the normalized reward the
 * aggregator folded in and the posterior version that absorbed it. Reads only.
 */
import { createHash } from 'node:crypto';
import type { RecordCodec } from '../../src/avro/codec.ts';
import { f64ToBytes } from '../../src/avro/f64.ts';
import type { Bus } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import type { Side } from '../../src/records/types.ts';
import type { ArmValues } from './compare.ts';

export interface PairTrace {
  pairId: string;
  run: string;
  batch: number;
  promptId: string;
  method: string;
  seed: number;
  /** SHA-256 of the context as routed (float64 little-endian), hex, and its length d. */
  contextDigest: string;
  d: number;
  posteriorVersion: number;
  arms: ArmValues[];
  chosenRm: string;
  /** The chosen RM's scores of the pair (null: no score recorded yet). */
  scores: { rm: string; modelVersion: string; scoreA: number; scoreB: number } | null;
  /** A shadow pair's audit scores, one per other RM in arm order (empty: not a shadow pair); never labelled. */
  audit: { rm: string; modelVersion: string; scoreA: number; scoreB: number; unscored: string | null }[];
  /** The label (null: not kept by the labeler, a tie or not drawn). */
  label: { chosen: Side; margin: number } | null;
  /** The trainer's DPO loss for the pair (null: no LOSS recorded). */
  loss: number | null;
  /** The normalized reward the aggregator folded into the chosen RM's posterior (null: not yet). */
  reward: number | null;
  /** The posterior version (= batch) of the chosen RM that absorbed the reward (null: not yet). */
  absorbedInVersion: number | null;
  /**
   * The OpenTelemetry trace of the pair's prompt (from its Decision record's `traceparent` header;
   * null when the run was not traced): open it in Jaeger or any OTLP backend (docs/tracing.md).
   */
  traceId: string | null;
}

export const contextDigest = (context: readonly number[]): string => createHash('sha256').update(f64ToBytes(context)).digest('hex');

async function* recordsFrom<B extends 'decisions' | 'scores' | 'labels' | 'feedback' | 'posterior-deltas'>(
  bus: Bus,
  codec: RecordCodec,
  prefix: string,
  base: B,
) {
  for (const r of await bus.readToEnd(topicName(prefix, base))) {
    if (r.value === null) continue;
    try {
      yield { record: r, value: await codec.decode(base, r.value) };
    } catch {
      // dead-lettered when it was consumed
    }
  }
}

async function* decodedFrom<B extends 'decisions' | 'scores' | 'labels' | 'feedback' | 'posterior-deltas'>(
  bus: Bus,
  codec: RecordCodec,
  prefix: string,
  base: B,
) {
  for await (const { value } of recordsFrom(bus, codec, prefix, base)) yield value;
}

/** The trace id of a W3C `traceparent` header, if the record has a valid one. */
const traceIdOf = (header: Buffer | undefined): string | null =>
  /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header?.toString() ?? '')?.[1] ?? null;

export async function tracePair(bus: Bus, codec: RecordCodec, prefix: string, pairId: string): Promise<PairTrace> {
  let t: PairTrace | null = null;
  for await (const { record, value: rec } of recordsFrom(bus, codec, prefix, 'decisions')) {
    const d = pairDecisions(rec).find((x) => x.pairId === pairId);
    if (d === undefined) continue;
    t = {
      pairId,
      run: d.run,
      batch: d.batch,
      promptId: d.promptId,
      method: d.method,
      seed: d.seed,
      contextDigest: contextDigest(d.context),
      d: d.context.length,
      posteriorVersion: d.posteriorVersion,
      arms: d.arms.map((rm, k) => ({ rm, mean: d.means[k]!, std: d.stds[k]!, sample: d.samples[k]! })),
      chosenRm: d.chosenRm,
      scores: null,
      audit: [],
      label: null,
      loss: null,
      reward: null,
      absorbedInVersion: null,
      traceId: traceIdOf(record.headers.traceparent),
    };
    break;
  }
  if (t === null)
    throw new RouterError('RR_REPLAY', `no decision for pair ${JSON.stringify(pairId)} in namespace ${JSON.stringify(prefix)}`, {
      field: 'pairId',
    });
  const mine = (x: { run: string; batch: number }): boolean => x.run === t.run && x.batch === t.batch;
  const audit = new Map<string, PairTrace['audit'][number]>();
  for await (const s of decodedFrom(bus, codec, prefix, 'scores')) {
    const p = mine(s) ? s.pairs.find((x) => x.pairId === pairId) : undefined;
    if (!p) continue;
    if (s.audit) {
      if (!audit.has(s.rm))
        audit.set(s.rm, { rm: s.rm, modelVersion: s.modelVersion, scoreA: p.scoreA, scoreB: p.scoreB, unscored: p.unscored ?? null });
    } else if (s.rm === t.chosenRm) t.scores ??= { rm: s.rm, modelVersion: s.modelVersion, scoreA: p.scoreA, scoreB: p.scoreB };
  }
  t.audit = t.arms.flatMap((a) => audit.get(a.rm) ?? []);
  for await (const l of decodedFrom(bus, codec, prefix, 'labels')) {
    const p = mine(l) ? l.pairs.find((x) => x.pairId === pairId) : undefined;
    if (p) {
      t.label = { chosen: p.chosen, margin: p.margin };
      break;
    }
  }
  for await (const f of decodedFrom(bus, codec, prefix, 'feedback')) {
    if (mine(f) && f.kind === 'LOSS' && f.pairId === pairId) {
      t.loss = f.loss;
      break;
    }
  }
  for await (const delta of decodedFrom(bus, codec, prefix, 'posterior-deltas')) {
    const row = mine(delta) && delta.rm === t.chosenRm ? delta.rows.find((x) => x.pairId === pairId) : undefined;
    if (row) {
      t.reward = row.r;
      t.absorbedInVersion = delta.batch;
      break;
    }
  }
  return t;
}

const num = (v: number | null): string => (v === null ? '—' : String(v));

/** The human-readable form. */
export function formatTrace(t: PairTrace): string {
  const w = Math.max(...t.arms.map((a) => a.rm.length));
  return [
    `pair ${t.pairId}   run ${t.run}   batch ${t.batch}   prompt ${t.promptId}`,
    `context: d=${t.d}, sha256 ${t.contextDigest}`,
    `routed by ${t.method} (seed ${t.seed}) with posterior version ${t.posteriorVersion}:`,
    ...t.arms.map(
      (a) =>
        `  ${a.rm === t.chosenRm ? '→' : ' '} ${a.rm.padEnd(w)}  mean ${a.mean.toPrecision(6).padStart(12)}  std ${a.std.toPrecision(6).padStart(12)}  sample ${a.sample.toPrecision(6).padStart(12)}`,
    ),
    `chosen RM: ${t.chosenRm}`,
    t.scores ? `scores (${t.scores.rm}, ${t.scores.modelVersion}): A ${t.scores.scoreA}  B ${t.scores.scoreB}` : 'scores: none recorded',
    ...(t.audit.length === 0
      ? []
      : [
          'audit scores (a shadow pair: recorded, never labelled):',
          ...t.audit.map(
            (a) =>
              `    ${a.rm.padEnd(w)}  (${a.modelVersion}) ${a.unscored !== null ? `unscored: ${a.unscored}` : `A ${a.scoreA}  B ${a.scoreB}`}`,
          ),
        ]),
    t.label ? `label: ${t.label.chosen} (margin ${t.label.margin})` : 'label: not kept (a tie, or not drawn among the kept pairs)',
    `trainer loss: ${num(t.loss)}`,
    `normalized reward: ${num(t.reward)}`,
    t.absorbedInVersion === null ? 'absorbed: not yet' : `absorbed by ${t.chosenRm}'s posterior version ${t.absorbedInVersion}`,
    `OpenTelemetry trace: ${t.traceId ?? 'none (tracing was off)'}`,
  ].join('\n');
}
