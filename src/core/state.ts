/**
 * The posterior of every arm plus what it has applied: the unit the posterior
 * store owns and the router reads. Deltas are applied in batch order, once:
 * `apply` reports 'duplicate' for a (run, batch, rm) already applied and 'gap'
 * for one that arrived early (the caller holds it until the gap fills).
 */
import { deltaKey, type DeltaBatch } from './delta.ts';
import { RouterError } from './errors.ts';
import { ArmPosterior, type PosteriorConfig, type ArmSnapshot, defaultPosteriorConfig } from './posterior.ts';

export type ApplyResult = 'applied' | 'duplicate' | 'gap';

export interface ArmStateSnapshot {
  rm: string;
  run: string;
  /** Index of the last batch applied; −1 = the prior. */
  version: number;
  posterior: ArmSnapshot;
}

export class PosteriorState {
  readonly run: string;
  readonly arms: readonly string[];
  readonly posteriors: ArmPosterior[];
  /** Per arm, the last batch applied (−1 = prior only). */
  readonly versions: number[];

  constructor(run: string, arms: readonly string[], posteriors: ArmPosterior[], versions?: number[]) {
    if (arms.length !== posteriors.length || arms.length === 0) {
      throw new RouterError('RR_INVALID_CONFIG', `need one posterior per arm (${arms.length} arms, ${posteriors.length} posteriors)`, {
        field: 'arms',
      });
    }
    this.run = run;
    this.arms = arms;
    this.posteriors = posteriors;
    this.versions = versions ? [...versions] : arms.map(() => -1);
  }

  /** Priors centred on the offline embeddings (zeros for online-only). */
  static fromPriors(
    run: string,
    arms: readonly string[],
    embeddings: readonly ArrayLike<number>[],
    config: PosteriorConfig = defaultPosteriorConfig,
  ): PosteriorState {
    return new PosteriorState(
      run,
      arms,
      embeddings.map((e) => ArmPosterior.fromPrior(e, config)),
    );
  }

  get d(): number {
    return this.posteriors[0]!.d;
  }

  /** The version every arm has reached (the router waits for this to be ≥ t − lag). */
  get version(): number {
    return Math.min(...this.versions);
  }

  armIndex(rm: string): number {
    const k = this.arms.indexOf(rm);
    if (k < 0) throw new RouterError('RR_UNKNOWN_ARM', `unknown RM ${JSON.stringify(rm)}`, { field: 'arm', arm: rm });
    return k;
  }

  apply(delta: DeltaBatch): ApplyResult {
    if (delta.run !== this.run) {
      throw new RouterError('RR_INVALID_DELTA', `delta ${deltaKey(delta)} belongs to run ${delta.run}, not ${this.run}`, { field: 'run' });
    }
    const k = this.armIndex(delta.rm);
    const post = this.posteriors[k]!;
    if (delta.d !== post.d)
      throw new RouterError('RR_INVALID_DELTA', `delta ${deltaKey(delta)} has d=${delta.d}, posterior d=${post.d}`, { field: 'd' });
    const last = this.versions[k]!;
    if (delta.batch <= last) return 'duplicate';
    if (delta.batch > last + 1) return 'gap';
    for (const row of delta.rows) post.accumulate(row.x, row.r);
    post.finish();
    this.versions[k] = delta.batch;
    return 'applied';
  }

  snapshot(k: number): ArmStateSnapshot {
    return { rm: this.arms[k]!, run: this.run, version: this.versions[k]!, posterior: this.posteriors[k]!.snapshot() };
  }

  static restore(run: string, snapshots: readonly ArmStateSnapshot[]): PosteriorState {
    return new PosteriorState(
      run,
      snapshots.map((s) => s.rm),
      snapshots.map((s) => ArmPosterior.restore(s.posterior)),
      snapshots.map((s) => s.version),
    );
  }
}
