import { concatMap, type OperatorFunction } from 'rxjs';
import type { RecordCodec } from '../avro/codec.ts';
import type { BusRecord } from '../bus/types.ts';
import { codecError } from '../avro/errors.ts';
import type { TopicBase, TopicRecords } from '../records/topics.ts';
import type { Work } from './types.ts';

/**
 * Decodes each record's value with the topic's Avro schema. A record that
 * cannot be decoded (garbage bytes, unknown writer schema, a null value)
 * comes out with `value: undefined` and one rejection, instead of an error
 * notification: one bad record never stops the stream.
 *
 * Order is kept (`concatMap`), because offsets are acknowledged in order.
 */
export function decodeRecords<B extends TopicBase>(codec: RecordCodec, base: B): OperatorFunction<BusRecord, Work<TopicRecords[B]>> {
  return concatMap(async (record): Promise<Work<TopicRecords[B]>> => {
    try {
      if (record.value === null) throw codecError('RR_DECODE', 'UNDECODABLE', `${record.topic}@${record.offset}: null value`);
      return { record, value: await codec.decode(base, record.value), rejected: [] };
    } catch (error) {
      return { record, value: undefined, rejected: [{ record, error }] };
    }
  });
}
