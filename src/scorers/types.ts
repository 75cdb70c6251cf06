/**
 * The scorer backends behind one interface. A backend scores many pairs at once (the scorer app
 * micro-batches requests across prompts) and answers per pair: scores, or why it could not. A pair
 * an RM could not score is never dropped: the app writes it as unscored (Score.pairs[].unscored) and
 * dead-letters the reason (docs/scorers.md).
 */
import type { ChatMessage } from '../records/types.ts';

/** One pair to score, with its prompt (the request's prompt text and chat messages). */
export interface PairInput {
  /** Keys the judge's seeded order. */
  pairId: string;
  /** The training batch of the request (set by scoreMicroBatch; the simulated backend looks pairs up by it). */
  batch?: number;
  prompt: string;
  messages: readonly ChatMessage[];
  responseA: string;
  responseB: string;
}

/** Why an RM did not score a pair; `code` becomes the DeadLetter reason. */
export interface PairFailure {
  /** RM_UNAVAILABLE, RM_BAD_RESPONSE: the RM failed; UNKNOWN_PAIR: a backend that answers from data (simulator, replay) has none for the pair. */
  code: 'RM_UNAVAILABLE' | 'RM_BAD_RESPONSE' | 'UNKNOWN_PAIR';
  message: string;
}

export type PairResult = { scoreA: number; scoreB: number } | { failure: PairFailure };

export const isFailure = (r: PairResult): r is { failure: PairFailure } => 'failure' in r;

/** Counters every backend reports (the scorer app's stats and the tests read them). */
export type BackendStats = Record<string, number>;

export interface RmBackend {
  /** `http`, `judge`, `tfjs`, `sim` (the simulator), `recorded` (replay). */
  readonly kind: string;
  /** Written into every Score: a checkpoint hash, an API model string, the tfjs model's sha256. */
  readonly modelVersion: string;
  /** One result per input, in order. Never throws for a scoring failure: it returns it per pair. */
  scorePairs(pairs: readonly PairInput[]): Promise<PairResult[]>;
  stats(): BackendStats;
  close?(): Promise<void>;
  /** Checked once before the scorer consumes: a misconfiguration (a refused key, a wrong URL) is a fatal, clear error instead of a stream of unscored pairs. */
  preflight?(): Promise<void>;
}

/**
 * A pointwise reward model: one scalar per (prompt, response). The adapter in pointwise.ts scores
 * each distinct (prompt, response) of a micro-batch once and builds pairs from the scalars.
 */
export interface PointwiseScorer {
  readonly modelVersion: string;
  /** One reward per text, in order, or one failure for the whole call. */
  rewards(texts: readonly { prompt: string; messages: readonly ChatMessage[]; response: string }[]): Promise<number[]>;
}
