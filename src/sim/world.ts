/**
 * The latent world shared by the offline data and the online stream of one
 * seed: a prototype direction per category, each RM's score scale and its
 * offline/online accuracy tables. Pair embeddings are noisy prototypes, so a
 * linear router can tell categories apart but has to learn where they lie.
 */
import { CounterRng } from '../core/rng.ts';
import type { RngSequence } from '../core/rng.ts';
import type { SimConfig } from './config.ts';
import type { RmPool } from './profiles.ts';
import { onlineProbabilities } from './shift.ts';
import { validateSimConfig } from './validate.ts';

export interface SimWorld {
  readonly pool: RmPool;
  readonly cfg: SimConfig;
  readonly seed: number;
  /** Width of the generated embeddings (cfg.inputDim ?? cfg.d). */
  readonly dim: number;
  /** Unit-norm prototype per category (pool.categories order). */
  readonly prototypes: readonly Float64Array[];
  /** The offline data's prototypes: the same as `prototypes` unless cfg.offlineDomain moves them. */
  readonly offlinePrototypes: readonly Float64Array[];
  /** Per RM, the factor from the common gap scale to that RM's raw score scale. */
  readonly scoreScales: Float64Array;
  /** [model][category] pairwise probabilities: offline (the pool's) and online (after the shift). */
  readonly offline: readonly (readonly number[])[];
  readonly online: readonly (readonly number[])[];
  readonly rng: CounterRng;
}

/** The run name of every simulator stream, so sim draws never collide with a router's. */
export const SIM_RUN = 'reward-router/sim';

export function normalizeInPlace(v: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

export function buildWorld(pool: RmPool, cfg: SimConfig, seed: number = cfg.seed): SimWorld {
  validateSimConfig(cfg);
  const rng = new CounterRng(seed, SIM_RUN);
  const dim = cfg.inputDim ?? cfg.d;
  // Keyed by category / model name: adding a category or an RM never moves the others.
  const prototypes = pool.categories.map((c) => {
    const seq = rng.sequence(`world/prototype/${c}`);
    const v = new Float64Array(dim);
    for (let i = 0; i < dim; i++) v[i] = seq.normal();
    return normalizeInPlace(v);
  });
  const scoreScales = new Float64Array(pool.models.length);
  pool.models.forEach((m, k) => {
    const u = rng.sequence(`world/scale/${m}`).uniform();
    scoreScales[k] = Math.exp(cfg.scoreScaleSpread * (2 * u - 1));
  });
  // Another offline distribution (scenario `domain`): moved prototypes and jittered accuracies,
  // from cursors of their own so nothing else moves.
  const dom = cfg.offlineDomain;
  const offlinePrototypes = !dom
    ? prototypes
    : pool.categories.map((c, i) => {
        const seq = rng.sequence(`world/offline-prototype/${c}`);
        const v = new Float64Array(dim);
        for (let j = 0; j < dim; j++) v[j] = seq.normal();
        normalizeInPlace(v);
        return normalizeInPlace(prototypes[i]!.map((x, j) => x + dom.prototypeShift * v[j]!));
      });
  const [lo, hi] = cfg.shiftClip;
  const offline = pool.pairwise.map((row, k) => {
    if (!dom || dom.accuracyJitter === 0) return row.slice();
    const seq = rng.sequence(`world/offline-accuracy/${pool.models[k]}`);
    return row.map((p) => Math.min(hi, Math.max(lo, p + dom.accuracyJitter * (2 * seq.uniform() - 1))));
  });
  return {
    pool,
    cfg,
    seed,
    dim,
    prototypes,
    offlinePrototypes,
    scoreScales,
    offline,
    online: onlineProbabilities(pool, cfg),
    rng,
  };
}

/**
 * x = L2normalize(prototype_c + noise), noise ~ N(0, (η²/dim)·I): the noise norm
 * is ≈ η relative to the unit prototype, so cos(x, prototype_c) ≈ 1/sqrt(1+η²)
 * whatever the width.
 */
export function sampleEmbedding(
  world: SimWorld,
  category: number,
  seq: RngSequence,
  prototypes: readonly Float64Array[] = world.prototypes,
): Float64Array {
  const p = prototypes[category]!;
  const sd = world.cfg.embeddingNoise / Math.sqrt(world.dim);
  const x = new Float64Array(world.dim);
  for (let i = 0; i < x.length; i++) x[i] = p[i]! + sd * seq.normal();
  return normalizeInPlace(x);
}
