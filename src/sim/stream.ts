/**
 * The online stream. Batch t is a pure function of (seed, t): every draw comes
 * from cursors named after the batch, so batches can be made in any order, by
 * any process. Every RM's outcome on every pair is drawn up front (common
 * random numbers): all routing methods face the exact same world for a seed.
 */
import { requireConfig } from '../core/errors.ts';
import type { SimConfig } from './config.ts';
import { mixSchedule } from './mix.ts';
import type { RmPool } from './profiles.ts';
import { sharedUniform } from './difficulty.ts';
import { buildWorld, sampleEmbedding } from './world.ts';
import type { SimWorld } from './world.ts';

export interface SimPair {
  /** Stable id, e.g. `b12-p3-r0r4` (batch 12, prompt 3, responses 0 and 4). */
  pairId: string;
  /** Context of the pair: unit norm, width cfg.inputDim ?? cfg.d. */
  x: Float64Array;
  /** Gold prefers response a (the first of the pair). */
  goldA: boolean;
  /** Per RM: its label agrees with gold (drawn with the ONLINE probability of the prompt's category). */
  correct: boolean[];
  /** Per RM: |score gap| on a common scale (compared with tieEps). */
  gap: Float64Array;
  /** Per RM: score(a) − score(b) in the RM's own scale; > 0 iff the RM prefers a. */
  signedScore: Float64Array;
}

export interface SimPrompt {
  promptId: string;
  category: string;
  /** Index into pool.categories. */
  categoryIndex: number;
  pairs: SimPair[];
}

export interface SimBatch {
  t: number;
  prompts: SimPrompt[];
}

export interface OnlineStream {
  readonly world: SimWorld;
  /** Number of batches of the configured run (generateBatch accepts any t ≥ 0). */
  readonly batches: number;
  /** Category mix at batch t (pool.categories order, sums to 1). */
  mixAt(t: number): Float64Array;
  /**
   * Batch t. `embeddings: false` leaves every pair's x empty and skips its draws (they come from a
   * cursor of their own, so every other value is unchanged): what a simulated scorer needs, at a
   * fraction of the cost.
   */
  generateBatch(t: number, opts?: { embeddings?: boolean }): SimBatch;
}

export function createOnlineStream(pool: RmPool, cfg: SimConfig, seed: number = cfg.seed): OnlineStream {
  return onlineStreamFromWorld(buildWorld(pool, cfg, seed));
}

/** The stream over an existing world (the same prototypes as the offline data built from it). */
export function onlineStreamFromWorld(world: SimWorld): OnlineStream {
  const { pool, cfg } = world;
  const schedule = mixSchedule(cfg, pool.categories);
  const r = cfg.responsesPerPrompt;
  // Response pairs in a fixed order: (0,1), (0,2), ..., (r−2, r−1).
  const pairIdx: [number, number][] = [];
  for (let a = 0; a < r; a++) for (let b = a + 1; b < r; b++) pairIdx.push([a, b]);
  return {
    world,
    batches: cfg.batches,
    mixAt: (t) => schedule.at(t),
    generateBatch(t, opts = {}) {
      requireConfig(Number.isSafeInteger(t) && t >= 0, 'batch', `expected a batch index ≥ 0, got ${t}`);
      return makeBatch(world, schedule.at(t), t, pairIdx, opts.embeddings ?? true);
    },
  };
}

const NO_EMBEDDING = new Float64Array(0);

function makeBatch(world: SimWorld, mix: Float64Array, t: number, pairIdx: readonly [number, number][], embeddings: boolean): SimBatch {
  const { pool, cfg, rng } = world;
  const K = pool.models.length;
  const b = `online/b${t}`;
  const catSeq = rng.sequence(`${b}/category`);
  const qualitySeq = rng.sequence(`${b}/quality`);
  const embSeq = rng.sequence(`${b}/embedding`);
  // Per-RM cursors keyed by model name: adding or dropping an RM never changes another's outcomes.
  const rmSeqs = pool.models.map((m) => rng.sequence(`${b}/rm/${m}`));
  const hardSeq = rng.sequence(`${b}/difficulty`);
  const rho = cfg.errorCorrelation ?? 0;
  const { meanCorrect, meanWrong, sd } = cfg.gap;
  const quality = new Float64Array(cfg.responsesPerPrompt);
  const prompts: SimPrompt[] = [];
  for (let p = 0; p < cfg.promptsPerBatch; p++) {
    const c = catSeq.categorical(mix);
    // Gold from a latent quality per response, so gold preferences within a prompt are transitive.
    for (let i = 0; i < quality.length; i++) quality[i] = qualitySeq.normal();
    const online = world.online.map((row) => row[c]!);
    const pairs: SimPair[] = pairIdx.map(([ra, rb]) => {
      const x = embeddings ? sampleEmbedding(world, c, embSeq) : NO_EMBEDDING;
      const goldA = quality[ra]! >= quality[rb]!;
      const correct = new Array<boolean>(K);
      const gap = new Float64Array(K);
      const signedScore = new Float64Array(K);
      const u = rho > 0 ? hardSeq.uniform() : 0;
      for (let k = 0; k < K; k++) {
        const seq = rmSeqs[k]!;
        const ok = (rho > 0 ? sharedUniform(seq, u, rho) : seq.uniform()) < online[k]!;
        const g = Math.abs((ok ? meanCorrect : meanWrong) + sd * seq.normal());
        correct[k] = ok;
        gap[k] = g;
        signedScore[k] = (goldA === ok ? 1 : -1) * g * world.scoreScales[k]!;
      }
      return { pairId: `b${t}-p${p}-r${ra}r${rb}`, x, goldA, correct, gap, signedScore };
    });
    prompts.push({ promptId: `b${t}-p${p}`, category: pool.categories[c]!, categoryIndex: c, pairs });
  }
  return { t, prompts };
}
