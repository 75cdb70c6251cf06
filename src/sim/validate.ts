/** Range checks of a SimConfig; pool-dependent checks live where the pool is used (mix.ts, shift.ts). */
import { requireConfig } from '../core/errors.ts';
import type { SimConfig } from './config.ts';

function int(v: number, min: number, field: string): void {
  requireConfig(Number.isSafeInteger(v) && v >= min, field, `expected an integer ≥ ${min}, got ${v}`);
}

function num(v: number, min: number, field: string, strict = false): void {
  const ok = Number.isFinite(v) && (strict ? v > min : v >= min);
  requireConfig(ok, field, `expected a finite number ${strict ? '>' : '≥'} ${min}, got ${v}`);
}

/** Throws `RR_INVALID_CONFIG` (with `field`) on the first bad setting; returns the config. */
export function validateSimConfig(cfg: SimConfig): SimConfig {
  int(cfg.seed, 0, 'sim.seed');
  int(cfg.d, 1, 'sim.d');
  if (cfg.inputDim !== null) int(cfg.inputDim, 1, 'sim.inputDim');
  int(cfg.batches, 1, 'sim.batches');
  int(cfg.promptsPerBatch, 1, 'sim.promptsPerBatch');
  int(cfg.responsesPerPrompt, 2, 'sim.responsesPerPrompt');
  num(cfg.embeddingNoise, 0, 'sim.embeddingNoise');
  int(cfg.offlineExamples, 0, 'sim.offlineExamples');
  num(cfg.gap.meanCorrect, 0, 'sim.gap.meanCorrect');
  num(cfg.gap.meanWrong, 0, 'sim.gap.meanWrong');
  num(cfg.gap.sd, 0, 'sim.gap.sd');
  num(cfg.scoreScaleSpread, 0, 'sim.scoreScaleSpread');
  num(cfg.trainer.beta, 0, 'sim.trainer.beta', true);
  num(cfg.trainer.marginMean, -Infinity, 'sim.trainer.marginMean');
  num(cfg.trainer.marginSd, 0, 'sim.trainer.marginSd');
  num(cfg.tieEps, 0, 'sim.tieEps');
  int(cfg.keepPerPrompt, 1, 'sim.keepPerPrompt');
  const [lo, hi] = cfg.shiftClip;
  requireConfig(
    Number.isFinite(lo) && Number.isFinite(hi) && lo >= 0 && lo <= hi && hi <= 1,
    'sim.shiftClip',
    `expected 0 ≤ lo ≤ hi ≤ 1, got [${lo}, ${hi}]`,
  );
  const drift = cfg.drift;
  if (drift.kind === 'linear') {
    int(drift.startBatch, 0, 'sim.drift.startBatch');
    if (drift.endBatch !== null) {
      int(drift.endBatch, 0, 'sim.drift.endBatch');
      requireConfig(drift.endBatch >= drift.startBatch, 'sim.drift.endBatch', 'must be ≥ startBatch');
    }
  } else if (drift.kind === 'switch' && drift.atBatch !== null) {
    int(drift.atBatch, 0, 'sim.drift.atBatch');
  } else if (drift.kind !== 'none' && drift.kind !== 'switch') {
    requireConfig(false, 'sim.drift.kind', `unknown drift kind ${JSON.stringify((drift as { kind: unknown }).kind)}`);
  }
  const shift = cfg.shift;
  if (cfg.errorCorrelation !== undefined) {
    requireConfig(
      Number.isFinite(cfg.errorCorrelation) && cfg.errorCorrelation >= 0 && cfg.errorCorrelation <= 1,
      'sim.errorCorrelation',
      `expected a number in [0, 1], got ${cfg.errorCorrelation}`,
    );
  }
  if (cfg.offlineDomain) {
    num(cfg.offlineDomain.prototypeShift, 0, 'sim.offlineDomain.prototypeShift');
    num(cfg.offlineDomain.accuracyJitter, 0, 'sim.offlineDomain.accuracyJitter');
  }
  if (cfg.policyLearning) num(cfg.policyLearning.scale, 0, 'sim.policyLearning.scale', true);
  if (shift.kind === 'demoteBest' || shift.kind === 'demotePrior') {
    requireConfig(Number.isFinite(shift.delta), 'sim.shift.delta', `expected a finite number, got ${shift.delta}`);
  } else if (shift.kind !== 'none' && shift.kind !== 'explicit') {
    requireConfig(false, 'sim.shift.kind', `unknown shift kind ${JSON.stringify((shift as { kind: unknown }).kind)}`);
  }
  return cfg;
}
