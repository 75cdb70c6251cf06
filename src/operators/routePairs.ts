import { map, type OperatorFunction } from 'rxjs';
import type { Clock } from '../bus/types.ts';
import { makeBatch } from '../core/context.ts';
import type { ArmPosterior } from '../core/posterior.ts';
import type { CounterRng } from '../core/rng.ts';
import { thompsonBatch } from '../core/thompson.ts';
import type { Decision, ScoringRequest } from '../records/types.ts';
import type { Released } from './awaitPosterior.ts';
import type { Work } from './types.ts';
import type { RoutableGeneration } from './validateGeneration.ts';

/** The posterior set a batch is routed with, and the version it has applied (−1 = the prior). */
export interface PosteriorSet {
  version: number;
  posteriors: readonly ArmPosterior[];
}

export interface RouteConfig {
  run: string;
  seed: number;
  lag: number;
  /** RM ids in arm order. */
  arms: readonly string[];
  d: number;
  rng: CounterRng;
  clock: Clock;
  /** Version `version` exactly when the replica has it, else the newest below it. */
  posteriors: (version: number) => PosteriorSet;
}

/** One prompt's routing: a Decision per pair, a ScoringRequest per RM that got pairs (arm order). */
export interface RoutedPrompt {
  decisions: Decision[];
  requests: ScoringRequest[];
}

const toArray = (v: Float64Array): number[] => Array.from(v);

/**
 * Routes the pairs of each generation by Thompson sampling with the posterior
 * of version t − lag (`thompsonBatch` with the counter RNG keyed by seed, run,
 * pair id and arm, so a pair's choice never depends on what it was batched
 * with) and builds the Decisions and ScoringRequests to produce.
 */
export function routePairs(cfg: RouteConfig): OperatorFunction<Released<Work<RoutableGeneration>>, Work<RoutedPrompt>> {
  return map(({ value: work }): Work<RoutedPrompt> => {
    const g = work.value;
    if (g === undefined || g.pairs.length === 0) return { ...work, value: g === undefined ? undefined : { decisions: [], requests: [] } };
    const gen = g.generation;
    const set = cfg.posteriors(gen.batch - cfg.lag);
    const batch = makeBatch(g.pairs.map((p) => p.pairId), g.contexts, cfg.d);
    const chosen = thompsonBatch(set.posteriors, batch, cfg.rng);
    const now = cfg.clock.now();
    const decisions = chosen.map((c, n): Decision => ({
      run: gen.run, batch: gen.batch, promptId: gen.promptId, pairId: c.pairId, method: 'bayesian-router', seed: cfg.seed,
      posteriorVersion: set.version, context: toArray(g.contexts[n]!), arms: [...cfg.arms], chosen: c.arm, chosenRm: cfg.arms[c.arm]!,
      means: toArray(c.means), stds: toArray(c.stds), samples: toArray(c.samples), decidedAtMs: now,
    }));
    const requests: ScoringRequest[] = [];
    cfg.arms.forEach((rm, k) => {
      const mine = chosen.flatMap((c, n) => (c.arm === k ? [n] : []));
      if (mine.length === 0) return;
      requests.push({
        run: gen.run, batch: gen.batch, promptId: gen.promptId, rm, prompt: gen.prompt ?? '', messages: gen.messages ?? [], promptPairs: g.pairs.length, routedAtMs: now,
        pairs: mine.map((n) => ({ pairId: g.pairs[n]!.pairId, index: g.index[n]!, responseA: g.pairs[n]!.responseA, responseB: g.pairs[n]!.responseB })),
      });
    });
    return { ...work, value: { decisions, requests } };
  });
}
