/**
 * What the trainer app drives: a source of batches and the per-pair loss of a labelled pair. The
 * project ships one, the simulated policy (simulated.ts); a real trainer does not run this app, it
 * talks to the loop over the topics (clients/python).
 */
import type { OutRecord } from '../../src/bus/types.ts';
import type { Side } from '../../src/records/types.ts';

export interface TrainerBatch {
  /** One Generation record per prompt, in the batch's order. */
  readonly generations: readonly OutRecord[];
  /** The prompt id of each record of `generations`. */
  readonly promptIds: readonly string[];
  /** Pairs in the batch (stats). */
  readonly pairs: number;
  /**
   * A kept pair's DPO loss under the pre-update policy, given the side its label chose, and whether
   * that side is the better one; undefined for a pair that is not in the batch.
   */
  feedback(pairId: string, chosen: Side): { loss: number; correct: boolean } | undefined;
}

export interface TrainerModule {
  /** Batches it drives when the app is given no count. */
  readonly batches: number;
  batch(t: number): Promise<TrainerBatch>;
}
