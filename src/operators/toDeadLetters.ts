import { concatMap, type OperatorFunction } from 'rxjs';
import type { RecordCodec } from '../avro/codec.ts';
import type { Clock, OutRecord } from '../bus/types.ts';
import { deadLetter } from './deadLetter.ts';
import type { Rejected } from './types.ts';

export interface DeadLetterConfig {
  codec: RecordCodec;
  clock: Clock;
  /** Topic prefix of the loop (the `dlq` topic is `prefix + "dlq"`). */
  prefix: string;
  /** The stage name written into every letter (e.g. `router`). */
  stage: string;
  /** Bound on a letter's value, from the `dlq` topic's limit (`dlqValueBytes` of the loop); default `DEFAULT_DEAD_LETTER_BYTES`. */
  maxValueBytes?: number;
}

/**
 * Turns each batch of rejections into the `dlq` records to produce, one per
 * rejection, with the source position, reason code and original bytes.
 *
 * @see deadLetterOn for the one-record form.
 */
export function toDeadLetters(cfg: DeadLetterConfig): OperatorFunction<readonly Rejected[], OutRecord[]> {
  return concatMap((rejected) =>
    Promise.all(
      rejected.map((r) => deadLetter(cfg.codec, cfg.clock, cfg.prefix, cfg.stage, r.record, r.error, r.reason, cfg.maxValueBytes)),
    ),
  );
}
