/** What every app encodes and decodes records with, whichever wire format is in use (codec.ts picks one). */
import type { TopicBase, TopicRecords } from '../records/topics.ts';

export interface RecordCodec {
  readonly format: 'single-object' | 'confluent';
  encode<B extends TopicBase>(base: B, value: TopicRecords[B]): Promise<Buffer>;
  decode<B extends TopicBase>(base: B, buf: Buffer): Promise<TopicRecords[B]>;
}
