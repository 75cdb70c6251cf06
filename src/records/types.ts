/**
 * TypeScript shapes of the Avro records in schemas/*.avsc, field for field.
 *
 * Avro `long` is a JS `number` here: avsc reads and writes longs as numbers
 * and refuses |n| > 2^52 ("potential precision loss" / invalid value), which
 * batches, versions, counts, seeds and millisecond clocks never reach. Kafka offsets, which can, travel as
 * decimal strings (DeadLetter.sourceOffset). Avro arrays are plain `number[]`
 * (avsc checks `Array.isArray`, so no Float64Array); matrices travel as `bytes`
 * (see src/avro/f64.ts). Nullable fields (`["null", T]` with default null) are
 * `T | null`. Decoded values are avsc record instances with exactly these fields.
 */

export interface GenerationPair {
  pairId: string;
  responseA: string;
  responseB: string;
  /** Length d (or the projection's input width); empty = not supplied (the router's encoder embeds the text). */
  embedding: number[];
}

/** One chat turn of a prompt (role is free text: system, user, assistant, tool...). */
export interface ChatMessage {
  role: string;
  content: string;
}

export interface Generation {
  run: string;
  batch: number;
  promptId: string;
  /** Added after v0 (schemas/evolution/Generation.v0.avsc); old records read as null. */
  category: string | null;
  /**
   * Added in v2 (schemas/evolution/Generation.v1.avsc is the one before). Optional for writers (an
   * omitted field encodes as its default); decoded records always have it, "" for older writers.
   */
  prompt?: string;
  /** Added in v2, optional for writers like `prompt`; decoded records have [] for older writers. */
  messages?: ChatMessage[];
  pairs: GenerationPair[];
  sentAtMs: number;
}

export interface RequestPair {
  pairId: string;
  /** Position of the pair in its prompt (0-based). */
  index: number;
  responseA: string;
  responseB: string;
}

export interface ScoringRequest {
  run: string;
  batch: number;
  promptId: string;
  rm: string;
  /** The generation's prompt, copied (added in v1; optional for writers; records of v0 routers read as ""). */
  prompt?: string;
  /** The generation's chat messages, copied (added in v1; optional for writers; older records read as []). */
  messages?: ChatMessage[];
  pairs: RequestPair[];
  /** Pairs of the whole prompt, over all RMs. */
  promptPairs: number;
  routedAtMs: number;
  /**
   * Added in v2 (schemas/evolution/ScoringRequest.v1.avsc is the one before): a shadow-scoring audit
   * request (pairs routed to another RM; docs/replay.md). Optional for writers (false); decoded records have it.
   */
  audit?: boolean;
}

export interface PairScore {
  pairId: string;
  /** Position in the prompt; −1 for records written by v0. */
  index: number;
  scoreA: number;
  scoreB: number;
  /**
   * Added in v2 (schemas/evolution/Score.v1.avsc is the one before): null when scored, else the reason
   * code the RM could not score the pair (scores are NaN then). Optional for writers; decoded records have it.
   */
  unscored?: string | null;
}

export interface Score {
  run: string;
  batch: number;
  promptId: string;
  rm: string;
  /** Added after v0 (schemas/evolution/Score.v0.avsc); old records read as "unknown". */
  modelVersion: string;
  latencyMs: number;
  /** Pairs of the whole prompt; 0 for records written by v0. */
  promptPairs: number;
  pairs: PairScore[];
  /**
   * Added in v3 (schemas/evolution/Score.v2.avsc is the one before): copied from the request; audit
   * scores are recorded but never labelled. Optional for writers (false); decoded records have it.
   */
  audit?: boolean;
}

export type Side = 'A' | 'B';

export interface PairLabel {
  pairId: string;
  rm: string;
  chosen: Side;
  margin: number;
}

/** One record per prompt (possibly with no kept pair), so the trainer knows the prompt is done. */
export interface Label {
  run: string;
  batch: number;
  promptId: string;
  promptPairs: number;
  pairs: PairLabel[];
}

export type FeedbackKind = 'LOSS' | 'BATCH_END';

/** One flat record with a kind tag: LOSS sets pairId + loss, BATCH_END sets expectedPairs. */
export interface Feedback {
  run: string;
  batch: number;
  kind: FeedbackKind;
  pairId: string | null;
  loss: number | null;
  expectedPairs: number | null;
}

/** v2: one pair's decision inside a per-prompt Decision. */
export interface PairDecisionRecord {
  pairId: string;
  context: number[];
  chosen: number;
  means: number[];
  stds: number[];
  samples: number[];
}

/**
 * The `decisions` record. v2 writers put a prompt's pairs in `pairs` and leave the per-pair fields
 * empty; v1 records (pairs empty) hold one pair in them. Read either with `pairDecisions`
 * (src/records/decisions.ts).
 */
export interface Decision {
  run: string;
  batch: number;
  promptId: string;
  pairId: string;
  method: string;
  seed: number;
  /** Last batch the posterior used had applied; −1 = the prior. */
  posteriorVersion: number;
  context: number[];
  arms: string[];
  chosen: number;
  chosenRm: string;
  means: number[];
  stds: number[];
  samples: number[];
  decidedAtMs: number;
  /** v2: the prompt's pairs (absent or empty: a v1 record). */
  pairs?: PairDecisionRecord[];
}

export interface DeltaRow {
  pairId: string;
  x: number[];
  r: number;
}

export interface PosteriorDelta {
  run: string;
  batch: number;
  rm: string;
  d: number;
  /** Sorted by pairId, no duplicates (src/core/delta.ts normalizeDelta). */
  rows: DeltaRow[];
}

export interface PosteriorSnapshot {
  run: string;
  rm: string;
  /** Last batch applied; −1 = the prior. */
  version: number;
  d: number;
  lambda0: number;
  sigma2: number;
  refreshEvery: number;
  n: number;
  sinceRefresh: number;
  /** d·d float64 LE, row-major. */
  precision: Buffer;
  /** d float64 LE. */
  b: Buffer;
  /** d·d float64 LE, row-major. */
  factor: Buffer;
  /** Run id → last batch applied. */
  applied: Record<string, number>;
}

export const deadLetterReasons = [
  'UNDECODABLE',
  'UNKNOWN_SCHEMA',
  'WRONG_VECTOR_LENGTH',
  'NON_FINITE',
  'UNKNOWN_RM',
  'DUPLICATE_PAIR',
  'UNKNOWN_PAIR',
  'LATE_FEEDBACK',
  'INVALID_RECORD',
  /** The RM could not be reached or timed out past its retries, or its circuit breaker was open. */
  'RM_UNAVAILABLE',
  /** The RM answered something that is not a score (garbage, wrong shape or length, non-finite). */
  'RM_BAD_RESPONSE',
  // Input limits at the router's edge (streams/runtime/settings.ts `limits`, src/operators/limitInput.ts).
  'PROMPT_TOO_LARGE',
  'RESPONSE_TOO_LARGE',
  'VECTOR_TOO_LONG',
  'TOO_MANY_PAIRS',
  /** A judge RM answered, but without a verdict ([[1]], [[2]] or [[TIE]]) in its answer (DeadLetter v3). */
  'RM_NO_VERDICT',
  /** A prompt id already routed in this run, sent again (with other pair ids) (DeadLetter v4). */
  'DUPLICATE_PROMPT',
] as const;

export type DeadLetterReason = (typeof deadLetterReasons)[number];

export interface DeadLetter {
  sourceTopic: string;
  sourcePartition: number;
  /** Decimal string: Kafka offsets are int64. */
  sourceOffset: string;
  stage: string;
  reason: DeadLetterReason;
  message: string;
  original: Buffer;
  originalKey: Buffer | null;
  atMs: number;
  /** Null (or absent when writing) when `original` is the whole value; else the value's full length, of which `original` is a prefix (v4). */
  originalLength?: number | null;
  /** Null (or absent when writing) when `original` is the whole value; else the SHA-256 of the full value (v4). */
  originalSha256?: Buffer | null;
}

/** Record name (the .avsc file name and the Avro name without namespace) → its TS shape. */
export interface RecordTypes {
  Generation: Generation;
  ScoringRequest: ScoringRequest;
  Score: Score;
  Label: Label;
  Feedback: Feedback;
  Decision: Decision;
  PosteriorDelta: PosteriorDelta;
  PosteriorSnapshot: PosteriorSnapshot;
  DeadLetter: DeadLetter;
}

export type RecordName = keyof RecordTypes;

export const recordNames: readonly RecordName[] = [
  'Generation',
  'ScoringRequest',
  'Score',
  'Label',
  'Feedback',
  'Decision',
  'PosteriorDelta',
  'PosteriorSnapshot',
  'DeadLetter',
];

/** The Avro namespace of every record. */
export const NAMESPACE = 'ai.rewardrouter.v1';
