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
  | { kind: 'explicit'; deltas: Readonly<Record<string, Readonly<Record<string, number>>>> }
  /**
   * In each shifted category the RM the TRAINED PRIOR prefers (most offline-only picks on that
   * category's offline examples) loses `delta` and the best other RM by offline accuracy gains it.
   * Needs the prior, so `eval` applies it after training (`applyPriorShift`); before that, none.
   */
  | { kind: 'demotePrior'; delta: number; categories: 'alternate' | readonly string[] };

/** Offline data from another distribution than the online stream (scenario `domain`). */
export interface OfflineDomain {
  /** Each category's offline prototype is normalize(prototype + shift·v), v a random unit vector: cos ≈ 1/sqrt(1 + shift²). */
  prototypeShift: number;
  /** Each offline (RM, category) probability moves by U(−jitter, +jitter), clipped to shiftClip. */
  accuracyJitter: number;
}

/** A policy that learns from the labels it gets (scenario `learning`); see trainer.ts. */
export interface PolicyLearning {
  /** Net right-minus-wrong labels per category at which the margin reaches tanh(1) ≈ 76 % of its ceiling. */
  scale: number;
}

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
  /**
   * Shared blind spots: per pair, each RM draws its error from a difficulty common to all RMs with
   * this probability (else from its own draw). 0 (default) = independent errors. Marginal accuracies
   * are unchanged either way.
   */
  errorCorrelation?: number;
  /** Offline data from another distribution (default: the same world as the online stream). */
  offlineDomain?: OfflineDomain | null;
  /** The trainer's policy learns from the labels (default: a fixed margin distribution). */
  policyLearning?: PolicyLearning | null;
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
  if (s.kind === 'demotePrior') return `the RM the trained prior prefers −${s.delta}, best other RM +${s.delta} in ${cats}, ${range}`;
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
    cfg.policyLearning
      ? `trainer: β = ${t.beta}; the policy learns from its labels: margin ~ N(μ, 2μ), μ = ${t.marginMean}·tanh(net right labels of the category / ${cfg.policyLearning.scale}), 0 at batch 0 (every loss = log 2)`
      : `trainer: β = ${t.beta}, margin ~ N(${t.marginMean}, ${t.marginSd}) in the gold direction`,
    `RM errors: ${(cfg.errorCorrelation ?? 0) > 0 ? `shared blind spots (each RM draws from a per-pair difficulty common to all RMs with probability ${cfg.errorCorrelation})` : 'independent across RMs'}`,
    ...(cfg.offlineDomain
      ? [
          `offline data: another distribution (prototypes moved by ${cfg.offlineDomain.prototypeShift}, cos ≈ ${(1 / Math.sqrt(1 + cfg.offlineDomain.prototypeShift ** 2)).toFixed(2)}; offline accuracies ± U(${cfg.offlineDomain.accuracyJitter}))`,
        ]
      : []),
  ].join('\n');
}
