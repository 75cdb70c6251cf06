/**
 * The one way a stage gives up on a record: a DeadLetter to `dlq` with the
 * source position, a reason code and the original bytes. Nothing is dropped
 * silently; the stage counts it and goes on.
 *
 * A dead letter always fits the `dlq` topic: its value is bounded by
 * `maxValueBytes` (from the topic's `max.message.bytes`, `deadLetterValueBytes`
 * in src/records/topicConfigs.ts). An original that would not fit whole keeps
 * its first bytes, with its full length and SHA-256 beside them (DeadLetter v4),
 * so a send of the letter never fails for its size and the stage never loops on it.
 */
import { createHash } from 'node:crypto';
import { reasonOf } from '../avro/errors.ts';
import type { RecordCodec } from '../avro/codec.ts';
import type { BusRecord, Clock, OutRecord } from '../bus/types.ts';
import { varintBytes } from '../records/sizes.ts';
import { deadLetterValueBytes, dlqMaxMessageBytes } from '../records/topicConfigs.ts';
import { topicName } from '../records/topics.ts';
import type { DeadLetter, DeadLetterReason } from '../records/types.ts';

/** The bound when a stage names none: the smallest `dlq` limit any topic plan sets (d = 0, default record topics). */
export const DEFAULT_DEAD_LETTER_BYTES = deadLetterValueBytes(dlqMaxMessageBytes({ d: 0 }));

/** Longest `message` kept, in UTF-8 bytes (cut on a character boundary, with `…` appended). */
export const MAX_MESSAGE_BYTES = 2048;

function cutMessage(m: string): string {
  if (Buffer.byteLength(m, 'utf8') <= MAX_MESSAGE_BYTES) return m;
  let out = '';
  let n = 0;
  for (const ch of m) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (n + b > MAX_MESSAGE_BYTES - 3) break;
    out += ch;
    n += b;
  }
  return out + '…';
}

/**
 * The letter itself, bounded: `original` whole when the encoded letter fits `maxValueBytes`, else
 * the longest prefix that does, with `originalLength` and `originalSha256` of the whole value.
 * Throws only when not even an empty prefix fits (a key or topic name larger than the bound).
 */
export async function boundedLetter(codec: RecordCodec, letter: DeadLetter, maxValueBytes: number): Promise<Buffer> {
  const whole = await codec.encode('dlq', letter);
  if (whole.length <= maxValueBytes) return whole;
  const full = letter.original;
  const marked: DeadLetter = {
    ...letter,
    original: Buffer.alloc(0),
    originalLength: full.length,
    originalSha256: createHash('sha256').update(full).digest(),
  };
  // The empty prefix costs one byte (its length 0); n bytes cost varint(n) + n.
  const envelope = (await codec.encode('dlq', marked)).length - 1;
  let n = Math.min(full.length - 1, maxValueBytes - envelope - varintBytes(maxValueBytes));
  while (n > 0 && envelope + varintBytes(n) + n > maxValueBytes) n--;
  if (n < 0) throw new Error(`a dead letter of ${envelope + 1} bytes without its original exceeds the dlq bound of ${maxValueBytes}`);
  const value = await codec.encode('dlq', { ...marked, original: full.subarray(0, n) });
  if (value.length > maxValueBytes) throw new Error(`bounded dead letter of ${value.length} bytes exceeds ${maxValueBytes}`);
  return value;
}

export async function deadLetter(
  codec: RecordCodec,
  clock: Clock,
  prefix: string,
  stage: string,
  source: BusRecord,
  err: unknown,
  reason: DeadLetterReason = reasonOf(err),
  maxValueBytes: number = DEFAULT_DEAD_LETTER_BYTES,
): Promise<OutRecord> {
  const letter: DeadLetter = {
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
    stage,
    reason,
    message: cutMessage(err instanceof Error ? err.message : String(err)),
    original: source.value ?? Buffer.alloc(0),
    originalKey: source.key,
    atMs: clock.now(),
  };
  return { topic: topicName(prefix, 'dlq'), key: source.key, value: await boundedLetter(codec, letter, maxValueBytes) };
}
