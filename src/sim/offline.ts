/**
 * The offline data set: examples with a pair embedding and, for every RM, whether
 * its label agrees with gold, drawn independently per RM with its OFFLINE
 * per-category probability. This is what the offline stage trains the prior on.
 */
import type { SimConfig } from './config.ts';
import { resolveMix } from './mix.ts';
import type { RmPool } from './profiles.ts';
import { sharedUniform } from './difficulty.ts';
import { buildWorld, sampleEmbedding } from './world.ts';
import type { SimWorld } from './world.ts';

export interface OfflineExample {
  id: string;
  category: string;
  /** Unit norm, width cfg.inputDim ?? cfg.d. */
  embedding: Float64Array;
  /** RM id → 1 iff that RM prefers the gold-preferred response (docs/formats.md). */
  labels: Record<string, 0 | 1>;
}

/** Example ids are zero-padded so that they sort in generation order. */
export function offlineExampleId(i: number): string {
  return `ex-${String(i).padStart(6, '0')}`;
}

export function generateOfflineData(pool: RmPool, cfg: SimConfig, seed: number = cfg.seed): OfflineExample[] {
  return generateOfflineFromWorld(buildWorld(pool, cfg, seed));
}

/** Same as `generateOfflineData` for an already built world (shares its prototypes). */
export function generateOfflineFromWorld(world: SimWorld): OfflineExample[] {
  const { pool, cfg, rng } = world;
  const mix = resolveMix(cfg.offlineMix, pool.categories, 'sim.offlineMix');
  // One named cursor per purpose and per RM: the set of RMs never changes another RM's labels.
  const catSeq = rng.sequence('offline/category');
  const embSeq = rng.sequence('offline/embedding');
  const rmSeqs = pool.models.map((m) => rng.sequence(`offline/label/${m}`));
  const hard = rng.sequence('offline/difficulty');
  const rho = cfg.errorCorrelation ?? 0;
  const out: OfflineExample[] = [];
  for (let i = 0; i < cfg.offlineExamples; i++) {
    const c = catSeq.categorical(mix);
    const embedding = sampleEmbedding(world, c, embSeq, world.offlinePrototypes);
    const labels: Record<string, 0 | 1> = {};
    const u = rho > 0 ? hard.uniform() : 0;
    pool.models.forEach((m, k) => {
      const seq = rmSeqs[k]!;
      labels[m] = (rho > 0 ? sharedUniform(seq, u, rho) : seq.uniform()) < world.offline[k]![c]! ? 1 : 0;
    });
    out.push({ id: offlineExampleId(i), category: pool.categories[c]!, embedding, labels });
  }
  return out;
}

/** One JSONL line in the docs/formats.md format (no trailing newline). */
export function offlineExampleToJson(ex: OfflineExample): string {
  return JSON.stringify({ id: ex.id, category: ex.category, embedding: Array.from(ex.embedding), labels: ex.labels });
}
