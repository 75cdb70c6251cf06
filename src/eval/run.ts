/**
 * `reward-router eval`: for each scenario and seed, build the simulated world,
 * train the prior with the offline stage on the simulated offline data (or load
 * a prior file), run every method on the same online stream, and aggregate.
 */
import { RouterError } from '../core/errors.ts';
import type { KeepRule } from '../core/keep.ts';
import { CounterRng } from '../core/rng.ts';
import { defaultPosteriorConfig, type PosteriorConfig } from '../core/posterior.ts';
import { embeddingsFor, type PriorFile } from '../core/prior.ts';
import { defaultPool } from '../sim/pool.ts';
import { trainOfflineRouter, type OfflineDataset, type OfflineReport } from '../offline/index.ts';
import type { SimConfig } from '../sim/config.ts';
import { generateOfflineFromWorld, type OfflineExample } from '../sim/offline.ts';
import { selectModels, type RmPool } from '../sim/profiles.ts';
import { scenarioConfig } from '../sim/scenarios.ts';
import { onlineStreamFromWorld } from '../sim/stream.ts';
import { applyPriorShift } from '../sim/shift.ts';
import { LearningTrainer, SimTrainer } from '../sim/trainer.ts';
import { buildWorld, sampleEmbedding, type SimWorld } from '../sim/world.ts';
import { identityOrProject } from '../core/projection.ts';
import { argmax } from '../core/thompson.ts';
import { runLoop } from './loop.ts';
import { verdictStream, type VerdictLine } from './verdicts.ts';
import { buildMethods } from './methods.ts';
import type { MethodTrace } from './stats.ts';

export interface EvalOptions {
  pool: RmPool;
  /** RM names to route among (default: the demo's default pool, src/sim/pool.ts). */
  models?: readonly string[];
  scenarios: readonly string[];
  seeds: readonly number[];
  /** Overrides of the simulator's defaults, the same for every method and scenario. */
  sim?: Partial<SimConfig>;
  posterior?: PosteriorConfig;
  lag?: number;
  /** Which decisive pairs the trainer keeps (default 'random', the authors' rule). */
  keep?: KeepRule;
  /** A prior file to use instead of training one per seed. */
  prior?: PriorFile;
  offline?: {
    epochs?: number;
    lr?: number;
    batchSize?: number;
    balance?: boolean;
    balanceRule?: 'authors' | 'paths';
    btAverage?: 'example' | 'pair';
  };
  only?: readonly string[];
  /** Recorded verdicts as the online stream instead of the simulator's (needs `prior`); scenario `stream`. */
  stream?: { lines: readonly VerdictLine[]; source: string; batchPairs?: number; scenario?: string };
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface SeedRun {
  scenario: string;
  seed: number;
  traces: MethodTrace[];
  offline: OfflineReport | null;
  prior: PriorFile;
}

export interface EvalResult {
  models: string[];
  categories: string[];
  configs: Record<string, SimConfig>;
  runs: SeedRun[];
}

function toDataset(examples: readonly OfflineExample[], arms: readonly string[]): OfflineDataset {
  return {
    ids: examples.map((e) => e.id),
    categories: examples.map((e) => e.category),
    embeddings: examples.map((e) => e.embedding),
    labels: examples.map((e) => Uint8Array.from(arms, (a) => e.labels[a]!)),
    arms: [...arms],
    width: examples[0]?.embedding.length ?? 0,
  };
}

/**
 * The RM the trained prior prefers per category (index into world.pool.models): the most frequent
 * offline-only pick over 200 online-like contexts of the category (a cursor of its own).
 */
export function priorPreference(world: SimWorld, prior: PriorFile): number[] {
  const emb = embeddingsFor(prior, world.pool.models);
  return world.pool.categories.map((c, ci) => {
    const seq = world.rng.sequence(`eval/prior-preference/${c}`);
    const votes = new Array<number>(emb.length).fill(0);
    for (let i = 0; i < 200; i++) {
      const x = identityOrProject(prior, sampleEmbedding(world, ci, seq));
      votes[argmax(emb.map((e) => e.reduce((a, v, j) => a + v * x[j]!, 0)))]!++;
    }
    return argmax(votes);
  });
}

/**
 * The order the arms are run in for one seed: the names sorted, then shuffled by a seeded draw.
 * So a run depends on the pool as a SET (listing it in another order changes nothing, not even
 * the offline training), and across seeds no RM is systematically first: whatever still depends on
 * position (index-keyed draws, the offline model's initialization) is spread fairly over the RMs.
 */
export function armOrder(models: readonly string[], seed: number): string[] {
  const order = [...models].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const seq = new CounterRng(seed, 'reward-router/eval/arm-order').sequence('permutation');
  for (let i = order.length - 1; i > 0; i--) {
    const j = seq.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Traces of a run in `order`, re-expressed in the pool's own order (fixed:* rows, selection rows). */
function toPoolOrder(traces: MethodTrace[], order: readonly string[], models: readonly string[]): MethodTrace[] {
  const fromRun = models.map((m) => order.indexOf(m));
  const fixedRank = (name: string) => (name.startsWith('fixed:') ? models.indexOf(name.slice(6)) : -1);
  return traces
    .map((tr, i) => ({ tr, i }))
    .sort((a, b) => fixedRank(a.tr.name) - fixedRank(b.tr.name) || a.i - b.i)
    .map(({ tr }) => (tr.selected ? { ...tr, selected: tr.selected.map((row) => fromRun.map((k) => row[k]!)) } : tr));
}

export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const pool = selectModels(o.pool, o.models ?? defaultPool);
  const configs: Record<string, SimConfig> = {};
  if (o.stream && !o.prior) {
    throw new RouterError(
      'RR_INVALID_CONFIG',
      'prior: eval --stream needs --prior FILE (a prior trained for the encoder that made the contexts)',
      { field: 'prior' },
    );
  }
  const recorded = o.stream ? verdictStream(o.stream.lines, pool.models, o.stream.batchPairs, pool.categories) : null;
  // The scenario label names the run, so it keys every router draw: a file written from the
  // simulator's scenario X, replayed under the label X, meets the very same draws.
  const scenarios = recorded ? [o.stream!.scenario ?? 'stream'] : o.scenarios;
  for (const s of scenarios) {
    configs[s] = recorded
      ? scenarioConfig('stationary', { ...o.sim, batches: Math.min(o.sim?.batches ?? recorded.batches, recorded.batches) })
      : scenarioConfig(s, o.sim ?? {});
  }
  const total = scenarios.reduce((n, s) => n + configs[s]!.batches * o.seeds.length, 0);
  let done = 0;
  // The offline data does not depend on the scenario (shift and drift are online-only),
  // so a seed's prior is trained once and shared by its scenarios.
  const priors = new Map<string, { prior: PriorFile; report: OfflineReport | null }>();
  const runs: SeedRun[] = [];
  for (const scenario of scenarios) {
    for (const seed of o.seeds) {
      const cfg = { ...configs[scenario]!, seed };
      const order = armOrder(pool.models, seed);
      const world0 = buildWorld(selectModels(pool, order), cfg, seed);
      // The offline data depends on the seed and on the offline settings of the scenario only.
      const key = `${seed}/${cfg.d}/${world0.dim}/${cfg.offlineExamples}/${JSON.stringify([cfg.offlineMix, cfg.offlineDomain ?? null, cfg.errorCorrelation ?? 0])}/${JSON.stringify(o.offline ?? {})}`;
      let trained = o.prior ? { prior: o.prior, report: null } : priors.get(key);
      if (!trained) {
        o.onProgress?.(done, total, `offline training, seed ${seed}`);
        const data = toDataset(generateOfflineFromWorld(world0), order);
        trained = await trainOfflineRouter({ data, d: cfg.d, seed, ...o.offline });
        priors.set(key, trained);
      }
      const world =
        cfg.shift.kind === 'demotePrior'
          ? { ...world0, online: applyPriorShift(world0.pool, cfg, world0.online, priorPreference(world0, trained.prior)) }
          : world0;
      const run = `eval/${scenario}/seed-${seed}`;
      const methods = buildMethods({
        arms: order,
        embeddings: embeddingsFor(trained.prior, order),
        seed,
        run,
        posterior: o.posterior ?? defaultPosteriorConfig,
        lag: o.lag ?? 1,
        only: o.only,
      });
      const traces = runLoop({
        stream: o.stream ? verdictStream(o.stream.lines, order, o.stream.batchPairs, pool.categories) : onlineStreamFromWorld(world),
        trainer: new SimTrainer(cfg.trainer, seed),
        methods,
        prior: trained.prior,
        trainerFor: cfg.policyLearning
          ? () => new LearningTrainer(cfg.trainer, cfg.policyLearning!.scale, pool.categories.length, seed)
          : undefined,
        batches: cfg.batches,
        tieEps: cfg.tieEps,
        keepPerPrompt: cfg.keepPerPrompt,
        seed,
        run,
        keep: o.keep,
        onBatch: () => o.onProgress?.(++done, total, `${scenario}, seed ${seed}`),
      });
      runs.push({ scenario, seed, traces: toPoolOrder(traces, order, pool.models), offline: trained.report, prior: trained.prior });
    }
  }
  return { models: pool.models, categories: recorded ? [...recorded.world.pool.categories] : pool.categories, configs, runs };
}
