import { map, type OperatorFunction } from 'rxjs';
import type { Clock } from '../bus/types.ts';
import { makeBatch } from '../core/context.ts';
import type { ArmPosterior } from '../core/posterior.ts';
import { armSlots, decideBatch, thompsonBatch, tieKeys } from '../core/thompson.ts';
import { CounterRng } from '../core/rng.ts';
import { promptDecision } from '../records/decisions.ts';
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
  /** Absent: Thompson sampling (bayesian-router). `linucb`: mean + α·std, exact ties to a seeded draw per (pair, RM). */
  selection?: { kind: 'linucb'; alpha: number };
}

/** One prompt's routing: one Decision record (v2, its pairs inside), a ScoringRequest per RM that got pairs (arm order). */
export interface RoutedPrompt {
  decisions: Decision[];
  requests: ScoringRequest[];
}

/** A plain copy of a Float64Array (Array.from goes through the iterator protocol: ~17× slower at d = 64). */
function toArray(v: Float64Array): number[] {
  const a = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) a[i] = v[i]!;
  return a;
}

/**
 * Routes the pairs of each generation by Thompson sampling with the posterior
 * of version t − lag (`thompsonBatch` with the counter RNG keyed by seed, run,
 * pair id and arm, so a pair's choice never depends on what it was batched
 * with) and builds the Decisions and ScoringRequests to produce.
 */
export function routePairs(cfg: RouteConfig): OperatorFunction<Released<Work<RoutableGeneration>>, Work<RoutedPrompt>> {
  const sel = cfg.selection;
  // The same tie keys as the eval loop's methods (seed, run/tie, arm names), so a LinUCB replay matches `eval`.
  const tie = sel ? tieKeys(new CounterRng(cfg.seed, `${cfg.run}/tie`), armSlots(cfg.arms)) : undefined;
  const method = sel ? `linucb(alpha=${sel.alpha})` : 'bayesian-router';
  return map(({ value: work }): Work<RoutedPrompt> => {
    const g = work.value;
    if (g === undefined || g.pairs.length === 0) return { ...work, value: g === undefined ? undefined : { decisions: [], requests: [] } };
    const gen = g.generation;
    const set = cfg.posteriors(gen.batch - cfg.lag);
    const batch = makeBatch(
      g.pairs.map((p) => p.pairId),
      g.contexts,
      cfg.d,
    );
    const chosen = sel
      ? decideBatch(set.posteriors, batch, (_id, _k, mean, std) => mean + sel.alpha * std, tie)
      : thompsonBatch(set.posteriors, batch, cfg.rng);
    const now = cfg.clock.now();
    // One record per prompt: the prompt's fields once, each pair's exact float64 values in `pairs`.
    const decisions: Decision[] = [
      promptDecision(
        {
          run: gen.run,
          batch: gen.batch,
          promptId: gen.promptId,
          method,
          seed: cfg.seed,
          posteriorVersion: set.version,
          arms: [...cfg.arms],
          decidedAtMs: now,
        },
        chosen.map((c, n) => ({
          pairId: c.pairId,
          context: toArray(g.contexts[n]!),
          chosen: c.arm,
          means: toArray(c.means),
          stds: toArray(c.stds),
          samples: toArray(c.samples),
        })),
      ),
    ];
    const requests: ScoringRequest[] = [];
    cfg.arms.forEach((rm, k) => {
      const mine = chosen.flatMap((c, n) => (c.arm === k ? [n] : []));
      if (mine.length === 0) return;
      requests.push({
        run: gen.run,
        batch: gen.batch,
        promptId: gen.promptId,
        rm,
        prompt: gen.prompt ?? '',
        messages: gen.messages ?? [],
        promptPairs: g.pairs.length,
        routedAtMs: now,
        pairs: mine.map((n) => ({
          pairId: g.pairs[n]!.pairId,
          index: g.index[n]!,
          responseA: g.pairs[n]!.responseA,
          responseB: g.pairs[n]!.responseB,
        })),
      });
    });
    return { ...work, value: { decisions, requests } };
  });
}
