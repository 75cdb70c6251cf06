/**
 * Every knob of the simulator, with the defaults in one visible object.
 * docs/simulator.md explains each default and why it was chosen.
 */

/**
 * A category mix: `uniform`; `front` / `back` (weight 4 on the first / last
 * ceil(n/2) categories of the pool, weight 1 on the others: 80/20 for n = 6),
 * or explicit weights by category name (missing names get weight 0).
 */
export type MixSpec = 'uniform' | 'front' | 'back' | Readonly<Record<string, number>>;

/** How the online category mix moves from `categoryMix` over the run. */
export type DriftSpec =
  | { kind: 'none' }
  /** Linear interpolation from `categoryMix` (at startBatch) to `to` (at endBatch; null = last batch). */
  | { kind: 'linear'; to: MixSpec; startBatch: number; endBatch: number | null }
  /** `categoryMix` before atBatch, `to` from atBatch on (null = batches / 2). */
  | { kind: 'switch'; to: MixSpec; atBatch: number | null };

/** Offline→online change of each RM's pairwise probability (additive, then clipped). */
export type ShiftSpec =
  | { kind: 'none' }
  /**
   * In each shifted category the offline-best RM loses `delta` and the offline
   * runner-up gains `delta`, so the online best differs from the offline best.
   * `alternate` = categories at even indices of the pool (half of them).
   */
  | { kind: 'demoteBest'; delta: number; categories: 'alternate' | readonly string[] }
  /** model → category → additive change. */
  | { kind: 'explicit'; deltas: Readonly<Record<string, Readonly<Record<string, number>>>> };

export interface SimTrainerConfig {
  /** DPO β. */
  beta: number;
  /** Mean of the policy's implicit reward margin in the gold direction (> 0: the policy has learned something). */
  marginMean: number;
  /** Spread of that margin across pairs: the noise that makes loss a weak signal. */
  marginSd: number;
}

export interface GapConfig {
  /** |score gap| ~ |N(meanCorrect, sd)| when the RM's label is right... */
  meanCorrect: number;
  /** ...and |N(meanWrong, sd)| when wrong: RMs are less decisive when they err. */
  meanWrong: number;
  sd: number;
}

export interface SimConfig {
  seed: number;
  /** Router dimension. */
  d: number;
  /** Width of the generated embeddings; null = d. Set ≠ d to exercise the projection. */
  inputDim: number | null;
  batches: number;
  promptsPerBatch: number;
  /** Responses per prompt; all n(n−1)/2 pairs are generated. */
  responsesPerPrompt: number;
  /** Online category mix at batch 0. */
  categoryMix: MixSpec;
  /** Category mix of the offline data set (a separate, broad data set). */
  offlineMix: MixSpec;
  /** Noise norm relative to the unit prototype: cos(x, own prototype) ≈ 1/sqrt(1 + noise²). */
  embeddingNoise: number;
  drift: DriftSpec;
  shift: ShiftSpec;
  /** Online probabilities are clipped to this range after the shift. */
  shiftClip: readonly [number, number];
  offlineExamples: number;
  gap: GapConfig;
  /** Each RM's raw score scale is exp(U(−s, s)): distinct scales, so ensembles must z-normalize. */
  scoreScaleSpread: number;
  trainer: SimTrainerConfig;
  tieEps: number;
  keepPerPrompt: number;
}

export const defaultSimConfig: Readonly<SimConfig> = Object.freeze({
  seed: 1,
  d: 64,
  inputDim: null,
  batches: 200,
  promptsPerBatch: 32,
  responsesPerPrompt: 6,
  categoryMix: 'uniform',
  offlineMix: 'uniform',
  embeddingNoise: 1.0,
  drift: { kind: 'none' },
  shift: { kind: 'none' },
  shiftClip: [0.5, 0.995],
  offlineExamples: 6000,
  gap: { meanCorrect: 1.0, meanWrong: 0.6, sd: 0.5 },
  scoreScaleSpread: 1.5,
  trainer: { beta: 1, marginMean: 0.5, marginSd: 1.0 },
  tieEps: 0.1,
  keepPerPrompt: 4,
} satisfies SimConfig);

/** Number of pairs per prompt. */
export function pairsPerPrompt(cfg: Pick<SimConfig, 'responsesPerPrompt'>): number {
  return (cfg.responsesPerPrompt * (cfg.responsesPerPrompt - 1)) / 2;
}

function mixText(m: MixSpec): string {
  return typeof m === 'string' ? m : JSON.stringify(m);
}

function driftText(d: DriftSpec): string {
  if (d.kind === 'none') return 'none';
  if (d.kind === 'linear') return `linear to ${mixText(d.to)} from batch ${d.startBatch} to ${d.endBatch ?? 'last'}`;
  return `switch to ${mixText(d.to)} at batch ${d.atBatch ?? 'batches/2'}`;
}

function shiftText(s: ShiftSpec, clip: readonly [number, number]): string {
  if (s.kind === 'none') return 'none (online = offline)';
  const range = `clipped to [${clip[0]}, ${clip[1]}]`;
  if (s.kind === 'explicit') return `explicit deltas ${JSON.stringify(s.deltas)}, ${range}`;
  const cats = s.categories === 'alternate' ? 'every other category' : s.categories.join(', ');
  return `offline-best RM −${s.delta}, runner-up +${s.delta} in ${cats}, ${range}`;
}

/** A human-readable summary for reports: one `key: value` line per setting. */
export function describeSimConfig(cfg: SimConfig): string {
  const t = cfg.trainer;
  return [
    `simulation (synthetic data; RM accuracies from the profile file)`,
    `seed: ${cfg.seed}`,
    `d: ${cfg.d}${cfg.inputDim !== null && cfg.inputDim !== cfg.d ? `, input width ${cfg.inputDim}` : ''}`,
    `batches: ${cfg.batches} × ${cfg.promptsPerBatch} prompts × ${pairsPerPrompt(cfg)} pairs (${cfg.responsesPerPrompt} responses)`,
    `category mix: ${mixText(cfg.categoryMix)}; drift: ${driftText(cfg.drift)}`,
    `embedding noise: ${cfg.embeddingNoise} (cos to own prototype ≈ ${(1 / Math.sqrt(1 + cfg.embeddingNoise ** 2)).toFixed(2)})`,
    `offline→online shift: ${shiftText(cfg.shift, cfg.shiftClip)}`,
    `offline examples: ${cfg.offlineExamples} (mix ${mixText(cfg.offlineMix)})`,
    `score gap: |N(${cfg.gap.meanCorrect}, ${cfg.gap.sd})| if right, |N(${cfg.gap.meanWrong}, ${cfg.gap.sd})| if wrong; tie eps ${cfg.tieEps}; keep ≤ ${cfg.keepPerPrompt} per prompt`,
    `trainer: β = ${t.beta}, margin ~ N(${t.marginMean}, ${t.marginSd}) in the gold direction`,
  ].join('\n');
}
