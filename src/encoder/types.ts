/**
 * The text encoder's one interface. The router and the offline stage see only `PairEncoder`:
 * (prompt, response A, response B) in, one pair feature vector out, batched. Which model and runtime
 * sit behind it is the adapter's business (src/encoder/minilm.ts).
 */
import type { PriorEncoder } from '../core/prior.ts';

export type { PriorEncoder as EncoderInfo } from '../core/prior.ts';

/** The texts of one pair; `prompt` may be "" (then only the responses are embedded). */
export interface PairText {
  prompt: string;
  responseA: string;
  responseB: string;
}

/** A sentence embedder: texts in, one vector of width `dim` each, in order. */
export interface SentenceEmbedder {
  readonly name: string;
  /** `sha256:<hex>` of the model file. */
  readonly checksum: string;
  readonly dim: number;
  embed(texts: readonly string[]): Promise<Float64Array[]>;
  close(): Promise<void>;
}

/** Pair features: what the prior's projection reads (width `info.dim`). */
export interface PairEncoder {
  readonly info: PriorEncoder;
  /** One feature vector per pair, in order; deterministic for the same pairs. */
  embedPairs(pairs: readonly PairText[]): Promise<Float64Array[]>;
  close(): Promise<void>;
}
