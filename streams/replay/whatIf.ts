/**
 * `reward-router replay --what-if key=value…` on a simulated run: the same batches (the simulator of
 * the recorded settings regenerates them; checked pair by pair against the recorded generations)
 * through the whole loop again with other settings, into a fresh namespace, and a side-by-side
 * comparison with the record: routed-label accuracy (simulated runs carry the gold labels),
 * selection shares, the normalized rewards and the distance between the final posterior means.
 *
 * A what-if routes pairs to RMs the record never asked, so the recorded scores and losses do not
 * cover it: on a simulated run the simulated scorers and trainer answer. On the shadow pairs of a
 * run recorded with shadow scoring, every RM's recorded verdict is known, so the two methods' picks
 * are also compared there against the pool's consensus, the recorded label and gold (shadow.ts).
 * `method=linucb` (optionally `alpha=`) runs LASeR's rule as
 * the eval's `laser` does: zero prior, λ0 = σ² = 1, mean + α·std (α = 0.1) with seeded ties, LASeR's
 * quantile rewards.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import type { Bus, Clock } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { laserQuantileConfig } from '../../src/core/normalize.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import type { PosteriorSnapshot } from '../../src/records/types.ts';
import type { Logger, LoopSettings } from '../runtime/context.ts';
import { readFinalPosteriors, runLoop } from '../loop/loop.ts';
import { simStream } from '../trainer/simulated.ts';
import { validateSettings } from '../runtime/settings.ts';
import { fromSnapshotRecord } from '../runtime/snapshotRecord.ts';
import { readRecordedRun, scoreKey, type RecordedRun } from './recorded.ts';
import { compareShadowPicks, verdict, type ShadowComparison, type ShadowPair } from './shadow.ts';

/** The settings a what-if may change, by the key it is given with. */
export const whatIfKeys = ['method', 'alpha', 'lambda0', 'sigma2', 'lag', 'window', 'tieEps'] as const;
export const whatIfMethods = ['bayesian-router', 'linucb'] as const;
export type WhatIf = Partial<{ method: (typeof whatIfMethods)[number]; alpha: number; lambda0: number; sigma2: number; lag: number; window: number; tieEps: number }>;

const bad = (message: string): never => { throw new RouterError('RR_INVALID_CONFIG', `--what-if: ${message}`, { field: 'what-if' }); };

/** `key=value` items → a WhatIf; unknown keys, non-numbers and other methods are refused. */
export function parseWhatIf(items: readonly string[]): WhatIf {
  const out: WhatIf = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq), value = item.slice(eq + 1);
    if (eq <= 0 || !(whatIfKeys as readonly string[]).includes(key)) bad(`expected key=value with key one of ${whatIfKeys.join(', ')}, got ${JSON.stringify(item)}`);
    if (key === 'method') {
      if (!(whatIfMethods as readonly string[]).includes(value)) bad(`method ${JSON.stringify(value)}: the stream router implements ${whatIfMethods.join(' and ')} (the others run in \`reward-router eval\`)`);
      out.method = value as WhatIf['method'];
      continue;
    }
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) bad(`${key} must be a number, got ${JSON.stringify(value)}`);
    (out as Record<string, number>)[key] = n;
  }
  return out;
}

/** The recorded settings with the what-if applied (validated: RR_INVALID_CONFIG names a bad value). */
export function applyWhatIf(s: LoopSettings, w: WhatIf): LoopSettings {
  if (w.alpha !== undefined && w.method !== 'linucb') bad('alpha needs method=linucb');
  if (w.alpha !== undefined && !(w.alpha >= 0)) bad(`alpha must be ≥ 0, got ${w.alpha}`);
  // LinUCB as the eval's `laser`: no prior (e_k = 0), A_k = I (λ0 = σ² = 1), LASeR's rewards.
  const linucb = w.method === 'linucb';
  const base: LoopSettings = linucb
    ? { ...s, prior: { ...s.prior, embeddings: s.prior.embeddings.map((e) => new Float64Array(e.length)) }, posterior: { ...s.posterior, lambda0: 1, sigma2: 1 },
      quantile: laserQuantileConfig, selection: { kind: 'linucb', alpha: w.alpha ?? 0.1 } }
    : { ...s, selection: undefined };
  return validateSettings({
    ...base,
    posterior: { ...base.posterior, ...(w.lambda0 !== undefined ? { lambda0: w.lambda0 } : {}), ...(w.sigma2 !== undefined ? { sigma2: w.sigma2 } : {}) },
    quantile: { ...base.quantile, ...(w.window !== undefined ? { window: w.window } : {}) },
    ...(w.lag !== undefined ? { lag: w.lag } : {}),
    ...(w.tieEps !== undefined ? { tieEps: w.tieEps } : {}),
  });
}

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

const quantile = (sorted: readonly number[], q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

/** The posterior mean μ of a snapshot (μ_i = ⟨e_i, μ⟩). */
export function posteriorMean(snap: PosteriorSnapshot): Float64Array {
  const p = ArmPosterior.restore(fromSnapshotRecord(snap).posterior);
  const e = new Float64Array(snap.d);
  return Float64Array.from({ length: snap.d }, (_, i) => { e.fill(0); e[i] = 1; return p.meanScore(e); });
}

/** One namespace's side: decisions → accuracy and shares, deltas → rewards, final snapshots; and each pair's chosen arm. */
async function side(bus: Bus, codec: RecordCodec, s: LoopSettings, batches: number): Promise<RunSide & { chosen: Map<string, { batch: number; arm: number }> }> {
  const chosen = new Map<string, { batch: number; arm: number }>();
  for (const r of await bus.readToEnd(topicName(s.prefix, 'decisions'))) {
    if (r.value === null) continue;
    for (const d of pairDecisions(await codec.decode('decisions', r.value))) {
      if (d.run === s.run && d.batch < batches && !chosen.has(d.pairId)) chosen.set(d.pairId, { batch: d.batch, arm: d.chosen });
    }
  }
  const stream = simStream(s);
  let ok = 0;
  for (let t = 0; t < batches; t++) {
    for (const p of stream.generateBatch(t, { embeddings: false }).prompts.flatMap((x) => x.pairs)) {
      const c = chosen.get(p.pairId);
      if (c && p.correct[c.arm]) ok++;
    }
  }
  const counts = s.arms.map(() => 0);
  for (const c of chosen.values()) counts[c.arm]!++;
  const rewards: number[] = [];
  for (const r of await bus.readToEnd(topicName(s.prefix, 'posterior-deltas'))) {
    if (r.value === null) continue;
    const delta = await codec.decode('posterior-deltas', r.value);
    if (delta.run === s.run && delta.batch < batches) for (const row of delta.rows) rewards.push(row.r);
  }
  rewards.sort((a, b) => a - b);
  const n = chosen.size;
  return {
    chosen,
    pairs: n, accuracy: n > 0 ? ok / n : 0, shares: counts.map((c) => (n > 0 ? c / n : 0)),
    rewards: { n: rewards.length, mean: rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length), p10: quantile(rewards, 0.1), p50: quantile(rewards, 0.5), p90: quantile(rewards, 0.9) },
    snapshots: await readFinalPosteriors(bus, codec, s),
  };
}

export interface WhatIfOptions {
  bus: Bus;
  /** The recorded run's settings; `prefix` is the recorded namespace (only read). */
  settings: LoopSettings;
  into: string;
  whatIf: WhatIf;
  clock: Clock;
  log: Logger;
  codec?: RecordCodec;
  onProgress?: (done: number, total: number) => void;
}

export async function whatIfRun(o: WhatIfOptions): Promise<WhatIfResult> {
  const s = o.settings;
  const codec = o.codec ?? new SingleObjectCodec();
  if (o.into === s.prefix) throw new RouterError('RR_REPLAY', 'the what-if must write into a fresh namespace, not the recorded one', { field: 'into' });
  const rec = await readRecordedRun(o.bus, codec, s.prefix, s.run);
  const batches = rec.lastBatch + 1;
  // The simulator must regenerate exactly the recorded inputs, or this is not the same stream.
  const stream = simStream(s);
  for (let t = 0; t < batches; t++) {
    const want = new Map(stream.generateBatch(t).prompts.flatMap((p) => p.pairs.map((x) => [x.pairId, x.x] as const)));
    const got = (rec.generations.get(t) ?? []).flatMap((g) => g.value.pairs);
    const same = got.length === want.size && got.every((p) => { const x = want.get(p.pairId); return x !== undefined && (p.embedding.length === 0 || p.embedding.every((v, i) => Object.is(v, x[i]))); });
    if (!same) throw new RouterError('RR_REPLAY', `batch ${t} of the record is not what the simulator of these settings generates: a what-if needs a simulated run (the pairs it routes elsewhere, and their losses, come from the simulated scorers and trainer)`, { field: 'namespace' });
  }
  const ws = { ...applyWhatIf(s, o.whatIf), prefix: o.into };
  const summary = await runLoop({ bus: o.bus, settings: ws, batches, clock: o.clock, log: o.log, codec, onProgress: (t) => o.onProgress?.(t + 1, batches) });
  const { chosen: recordedPicks, ...recorded } = await side(o.bus, codec, s, batches);
  const { chosen: whatIfPicks, ...replayed } = await side(o.bus, codec, ws, batches);
  if (replayed.pairs !== summary.pairs) throw new Error(`what-if: ${replayed.pairs} decisions read back, the loop routed ${summary.pairs}`);
  const posteriorDistance = s.arms.map((rm) => {
    const a = recorded.snapshots.find((x) => x.rm === rm), b = replayed.snapshots.find((x) => x.rm === rm);
    if (!a || !b) return NaN;
    const ma = posteriorMean(a), mb = posteriorMean(b);
    return Math.hypot(...ma.map((v, i) => v - mb[i]!));
  });
  const shadow = await shadowPairs(o.bus, codec, s, rec, recordedPicks, whatIfPicks);
  return { whatIf: o.whatIf, batches, arms: [...s.arms], recorded, replayed, posteriorDistance, shadow: { ...compareShadowPicks(shadow), tieEps: s.tieEps } };
}

/**
 * The recorded run's shadow pairs (a score from every RM, at least one of them audit) with every RM's
 * verdict at the recorded tie threshold (a what-if of tieEps changes which labels are kept, not
 * which RM a pair goes to), both picks, the recorded label and the simulator's gold side.
 */
async function shadowPairs(bus: Bus, codec: RecordCodec, s: LoopSettings, rec: RecordedRun, recordedPicks: ReadonlyMap<string, { batch: number; arm: number }>,
  whatIfPicks: ReadonlyMap<string, { batch: number; arm: number }>): Promise<ShadowPair[]> {
  const audited = new Set<string>();
  for (const sc of rec.scores.values()) if (sc.audit) audited.add(sc.pairId);
  const labels = new Map<string, 'A' | 'B'>();
  if (audited.size > 0) {
    for (const r of await bus.readToEnd(topicName(s.prefix, 'labels'))) {
      if (r.value === null) continue;
      const l = await codec.decode('labels', r.value);
      if (l.run === s.run) for (const p of l.pairs) if (audited.has(p.pairId)) labels.set(p.pairId, p.chosen);
    }
  }
  const out: ShadowPair[] = [];
  for (const pairId of audited) {
    const scores = s.arms.map((rm) => rec.scores.get(scoreKey(rm, pairId)));
    const picked = recordedPicks.get(pairId);
    if (picked === undefined || scores.some((x) => x === undefined)) continue;
    out.push({ pairId, verdicts: scores.map((x) => verdict(x!.scoreA, x!.scoreB, s.tieEps)), recordedPick: picked.arm, whatIfPick: whatIfPicks.get(pairId)?.arm ?? -1,
      label: labels.get(pairId) ?? null, gold: null });
  }
  // Simulated runs carry gold: the simulator regenerates the batches that hold shadow pairs.
  const byId = new Map(out.map((p) => [p.pairId, p]));
  const stream = simStream(s);
  for (const t of new Set(out.map((p) => recordedPicks.get(p.pairId)!.batch))) {
    for (const p of stream.generateBatch(t, { embeddings: false }).prompts.flatMap((x) => x.pairs)) {
      const sp = byId.get(p.pairId);
      if (sp) sp.gold = p.goldA ? 'A' : 'B';
    }
  }
  return out.sort((a, b) => (a.pairId < b.pairId ? -1 : a.pairId > b.pairId ? 1 : 0));
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : '—');

/** The side-by-side table. */
export function formatWhatIf(r: WhatIfResult): string {
  const label = Object.entries(r.whatIf).map(([k, v]) => `${k}=${v}`).join(' ') || '(no change)';
  const w = Math.max(24, ...r.arms.map((a) => a.length + 8));
  const row = (name: string, a: string, b: string, extra = '') => `${name.padEnd(w)}  ${a.padStart(15)}  ${b.padStart(15)}${extra}`;
  return [
    `what-if ${label} over ${r.batches} batches`,
    row('', 'recorded', 'what-if'),
    row('pairs routed', String(r.recorded.pairs), String(r.replayed.pairs)),
    row('routed-label accuracy', pct(r.recorded.accuracy), pct(r.replayed.accuracy)),
    ...r.arms.map((rm, k) => row(`share ${rm}`, pct(r.recorded.shares[k]!), pct(r.replayed.shares[k]!))),
    row('rewards folded in', String(r.recorded.rewards.n), String(r.replayed.rewards.n)),
    row('reward mean', f(r.recorded.rewards.mean), f(r.replayed.rewards.mean)),
    ...(['p10', 'p50', 'p90'] as const).map((q) => row(`reward ${q}`, f(r.recorded.rewards[q]), f(r.replayed.rewards[q]))),
    'final posterior means, Euclidean distance recorded ↔ what-if:',
    ...r.arms.map((rm, k) => row(`  ${rm}`, '', f(r.posteriorDistance[k]!))),
    ...shadowLines(r.shadow, row),
  ].join('\n');
}

const share = (n: number | null, of: number): string => (n === null || of === 0 ? '—' : `${pct(n / of)} (${n})`);

/** The shadow-pair rows: picks' agreement with the pool's consensus, the recorded label and gold. */
function shadowLines(sh: WhatIfResult['shadow'], row: (name: string, a: string, b: string, extra?: string) => string): string[] {
  if (sh.pairs === 0) return ['shadow pairs: none (record the run with shadow scoring, `--shadow-fraction f`, to compare picks on pairs every RM scored)'];
  return [
    `shadow pairs (scored by every RM): ${sh.pairs}; verdicts A/B beyond tieEps ${sh.tieEps}; consensus = majority of the RMs' verdicts (a tie of votes: none)`,
    `  with a consensus ${sh.consensus} (none ${sh.noConsensus}), with a recorded label ${sh.labelled}, with gold ${sh.gold}; same pick in both ${sh.samePick}; consensus = gold ${share(sh.consensusGold, sh.consensus)}`,
    row('picked RM agrees with', 'recorded', 'what-if'),
    row(`  consensus (of ${sh.consensus})`, share(sh.recorded.consensus, sh.consensus), share(sh.whatIf.consensus, sh.consensus)),
    row(`  recorded label (of ${sh.labelled})`, share(sh.recorded.label, sh.labelled), share(sh.whatIf.label, sh.labelled)),
    row(`  gold (of ${sh.gold})`, share(sh.recorded.gold, sh.gold), share(sh.whatIf.gold, sh.gold)),
  ];
}
