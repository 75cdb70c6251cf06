/**
 * The one interface every routing method implements, so the evaluation loop,
 * the stream apps and replay treat BayesianRouter and its baselines alike.
 */
import type { ContextBatch } from './context.ts';
import type { PairLoss } from './normalize.ts';
import type { PairChoice } from './thompson.ts';

export interface LearnInput extends PairLoss {
  /** The context the pair was routed with. */
  x: Float64Array;
}

export interface RoutingPolicy {
  /** Stable method name, e.g. `bayesian-router`, `laser`, `fixed:gpt-4.1 (judge)`. */
  readonly name: string;
  readonly arms: readonly string[];
  /** RM calls per pair (1 for routers; K for ensembles). */
  readonly rmCallsPerPair: number;
  /** Route batch t. Deterministic in (seed, run, pair ids, feedback of batches ≤ t − lag). */
  route(t: number, batch: ContextBatch): PairChoice[];
  /** Feedback for the kept pairs of batch t (the trainer's per-pair loss). */
  learn(t: number, feedback: readonly LearnInput[]): void;
}
