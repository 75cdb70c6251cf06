/**
 * The one way a stage gives up on a record: a DeadLetter to `dlq` with the
 * source position, a reason code and the original bytes. Nothing is dropped
 * silently; the stage counts it and goes on.
 */
import { reasonOf } from '../avro/errors.ts';
import type { RecordCodec } from '../avro/codec.ts';
import type { BusRecord, Clock, OutRecord } from '../bus/types.ts';
import { topicName } from '../records/topics.ts';
import type { DeadLetter, DeadLetterReason } from '../records/types.ts';

export async function deadLetter(
  codec: RecordCodec,
  clock: Clock,
  prefix: string,
  stage: string,
  source: BusRecord,
  err: unknown,
  reason: DeadLetterReason = reasonOf(err),
): Promise<OutRecord> {
  const letter: DeadLetter = {
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
    stage,
    reason,
    message: err instanceof Error ? err.message : String(err),
    original: source.value ?? Buffer.alloc(0),
    originalKey: source.key,
    atMs: clock.now(),
  };
  return { topic: topicName(prefix, 'dlq'), key: source.key, value: await codec.encode('dlq', letter) };
}
