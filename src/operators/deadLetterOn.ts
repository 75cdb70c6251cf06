import { concatMap, type OperatorFunction } from 'rxjs';
import type { RecordCodec } from '../avro/codec.ts';
import type { Clock, OutRecord } from '../bus/types.ts';
import { deadLetter } from './deadLetter.ts';
import type { RecordOutput } from './processBatches.ts';
import type { Work } from './types.ts';

export interface DeadLetterStage {
  codec: RecordCodec;
  clock: Clock;
  /** Topic prefix of the loop (`dlq` is `prefix + "dlq"`). */
  prefix: string;
  /** The stage name written into every letter (e.g. `router`). */
  stage: string;
  /** Bound on a letter's value, from the `dlq` topic's limit (`dlqValueBytes` of the loop); default `DEFAULT_DEAD_LETTER_BYTES`. */
  maxValueBytes?: number;
}

/**
 * Ends a stage: `onValue` maps a surviving value to its output records, and
 * every rejection of the item becomes a `dlq` record (source position, reason
 * code, original bytes). Emits one RecordOutput per item, in input order, so
 * `processBatches` can send it and then acknowledge the source record.
 */
export function deadLetterOn<T>(
  cfg: DeadLetterStage,
  onValue: (value: T, work: Work<T>) => Promise<OutRecord[]> | OutRecord[],
): OperatorFunction<Work<T>, RecordOutput> {
  return concatMap(async (work): Promise<RecordOutput> => {
    const out = work.value === undefined ? [] : [...(await onValue(work.value, work))];
    for (const r of work.rejected)
      out.push(await deadLetter(cfg.codec, cfg.clock, cfg.prefix, cfg.stage, r.record, r.error, r.reason, cfg.maxValueBytes));
    return { record: work.record, out };
  });
}
