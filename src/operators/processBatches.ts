import { concatMap, defer, mergeMap, type OperatorFunction } from 'rxjs';
import type { AckableBatch } from '../bus/flow.ts';
import type { BusRecord, OutRecord, TopicPartitionOffset } from '../bus/types.ts';

/** What a stage made of one source record: the records to produce for it (dead letters included). */
export interface RecordOutput {
  record: BusRecord;
  out: OutRecord[];
}

export interface ProcessIo {
  send(records: OutRecord[]): Promise<void>;
  /** Commits the next offset to read of a partition (at-least-once: after its outputs are sent). */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
}

/**
 * Runs a consumer's batches through a per-record pipeline and, once a batch's
 * last record has been handled and its outputs sent, commits the batch's
 * offsets and acknowledges it (which releases its records from the in-flight
 * gate). Emits the number of records each acknowledged batch held.
 *
 * `perRecord` must emit exactly one RecordOutput per record, in order: the
 * acknowledgement rides on the last record of each batch.
 */
export function processBatches(perRecord: OperatorFunction<BusRecord, RecordOutput>, io: ProcessIo): OperatorFunction<AckableBatch, number> {
  return (batches$) => defer(() => {
    const lastOf = new Map<BusRecord, AckableBatch>();
    return batches$.pipe(
      mergeMap((b) => {
        const last = b.records[b.records.length - 1];
        if (last === undefined) b.ack();
        else lastOf.set(last, b);
        return b.records;
      }),
      perRecord,
      concatMap(async ({ record, out }) => {
        if (out.length > 0) await io.send(out);
        const b = lastOf.get(record);
        if (b === undefined) return 0;
        lastOf.delete(record);
        await io.commit([{ topic: b.topic, partition: b.partition, offset: (BigInt(record.offset) + 1n).toString() }]);
        b.ack();
        return b.records.length;
      }),
    );
  });
}
