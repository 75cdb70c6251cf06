import { defer, EMPTY, from, mergeMap, type OperatorFunction } from 'rxjs';
import type { AckableBatch } from '../bus/flow.ts';
import type { BusRecord, OutRecord, TopicPartitionOffset } from '../bus/types.ts';

/** What a stage made of one source record: the records to produce for it (dead letters included). */
export interface RecordOutput {
  record: BusRecord;
  out: OutRecord[];
}

export interface ProcessIo {
  send(records: OutRecord[]): Promise<void>;
  /** Commits the next offset to read of partitions (at-least-once: after their outputs are sent). */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /**
   * The lowest offset of a partition a stage still needs (e.g. the first score of a prompt that
   * is not complete yet), or undefined. Commits never pass it, so a restart re-reads that state.
   */
  holdBack?(topic: string, partition: number): bigint | undefined;
}

/**
 * Coalesces offset commits: at most one commit in flight; marks that arrive meanwhile are folded
 * into the next one (the highest offset per partition wins). Kafka Streams does the same with its
 * commit interval: a commit per batch would cost a coordinator round trip per batch.
 */
class Committer {
  readonly #marked = new Map<string, TopicPartitionOffset>();
  #running: Promise<void> | null = null;
  constructor(private readonly commit: ProcessIo['commit']) {}

  mark(o: TopicPartitionOffset): void {
    this.#marked.set(`${o.topic}\u0000${o.partition}`, o);
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#marked.size > 0) {
      const offsets = [...this.#marked.values()];
      this.#marked.clear();
      await this.commit(offsets);
    }
  }
}

/**
 * Most bytes in one produce call. A drained backlog can make one consumer batch produce tens of
 * megabytes (a Decision per pair carries its context); one produce request that large is refused
 * by the broker (message.max.bytes), so a batch's outputs go out in chunks of at most this size.
 */
export const MAX_SEND_BYTES = 512 * 1024;

function chunks(out: readonly OutRecord[], maxBytes: number): OutRecord[][] {
  const result: OutRecord[][] = [];
  let current: OutRecord[] = [];
  let bytes = 0;
  for (const r of out) {
    const size = (r.value?.length ?? 0) + (r.key?.length ?? 0) + 64;
    if (current.length > 0 && bytes + size > maxBytes) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * Runs a consumer's batches through a per-record pipeline. Once a batch's last
 * record has been handled, the whole batch's outputs go out in one produce call;
 * sends of successive batches overlap, but a batch is acknowledged (released
 * from the in-flight gate) and its offsets marked for commit only after its own
 * send and every earlier batch's have completed, so committed offsets never pass
 * an output that is not durable (at-least-once). Emits the number of records of
 * each acknowledged batch, in batch order. Pipelining the sends and coalescing
 * the commits is what keeps a stage from being bound by one round trip per batch.
 *
 * `perRecord` must emit exactly one RecordOutput per record, in order: the
 * acknowledgement rides on the last record of each batch.
 */
export function processBatches(
  perRecord: OperatorFunction<BusRecord, RecordOutput>,
  io: ProcessIo,
): OperatorFunction<AckableBatch, number> {
  return (batches$) =>
    defer(() => {
      const lastOf = new Map<BusRecord, AckableBatch>();
      const committer = new Committer(io.commit);
      let pending: OutRecord[] = [];
      let previous: Promise<unknown> = Promise.resolve();
      return batches$.pipe(
        mergeMap((b) => {
          const last = b.records[b.records.length - 1];
          if (last === undefined) b.ack();
          else lastOf.set(last, b);
          return b.records;
        }),
        perRecord,
        mergeMap(({ record, out }) => {
          pending.push(...out);
          const b = lastOf.get(record);
          if (b === undefined) return EMPTY;
          lastOf.delete(record);
          const batchOut = pending;
          pending = [];
          const sent = Promise.all(chunks(batchOut, MAX_SEND_BYTES).map((c) => io.send(c)));
          const before = previous;
          const done = Promise.all([before, sent]).then(() => {
            const next = BigInt(record.offset) + 1n;
            const held = io.holdBack?.(b.topic, b.partition);
            committer.mark({
              topic: b.topic,
              partition: b.partition,
              offset: (held !== undefined && held < next ? held : next).toString(),
            });
            b.ack();
            return b.records.length;
          });
          previous = done;
          return from(done);
        }),
      );
    });
}
