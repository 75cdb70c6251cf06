/**
 * Runs transactions one after another, in the order they were planned (a later plan's offsets
 * assume the earlier outputs are committed). The first failure is fatal: the in-memory state has
 * moved past what Kafka holds, so the app stops and a restart restores from the topics.
 */
import type { BusProducer, OutRecord, TopicPartitionOffset } from '../../src/bus/types.ts';

export interface Outbox {
  records: Promise<OutRecord>[] | OutRecord[];
  offsets: TopicPartitionOffset[];
  /** Called once the transaction has committed, or with the error that ended it (tracing closes its spans here). */
  done?: (err?: unknown) => void;
}

export class TxnQueue {
  private tail: Promise<void> = Promise.resolve();
  private failure: { err: unknown } | null = null;
  committed = 0;

  constructor(
    private readonly producer: BusProducer,
    private readonly groupId: string,
    private readonly onFailure: (err: unknown) => void,
  ) {}

  push(box: Outbox): void {
    this.tail = this.tail
      .then(() => this.run(box))
      .catch((err: unknown) => {
        if (this.failure !== null) return;
        this.failure = { err };
        this.onFailure(err);
      });
  }

  /** Resolves when every queued transaction has committed; rejects once one has failed. */
  async idle(): Promise<void> {
    await this.tail;
    if (this.failure !== null) throw this.failure.err;
  }

  private async run(box: Outbox): Promise<void> {
    if (this.failure !== null) {
      box.done?.(this.failure.err);
      return;
    }
    try {
      await this.transact(box);
      box.done?.();
    } catch (err) {
      box.done?.(err);
      throw err;
    }
  }

  private async transact(box: Outbox): Promise<void> {
    const records = await Promise.all(box.records);
    const txn = await this.producer.transaction();
    try {
      await txn.send(records);
      await txn.sendOffsets(this.groupId, box.offsets);
      await txn.commit();
      this.committed++;
    } catch (err) {
      await txn.abort().catch(() => {}); // fenced or broken: nothing more to do with it
      throw err;
    }
  }
}
