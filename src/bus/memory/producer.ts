/**
 * Producers of the in-process bus. A transaction's records are appended at once (they take offsets,
 * as in Kafka) but stay invisible to read_committed readers until commit; abort hides them for good.
 * Offsets sent in a transaction are applied to the group only on commit.
 */
import type { BusProducer, BusTransaction, OutRecord, ProducerOptions, TopicPartitionOffset } from '../types.ts';
import { busError } from './broker.ts';
import type { MemoryBroker } from './broker.ts';
import type { TxnMark } from './log.ts';

export class MemoryProducer implements BusProducer {
  private readonly transactionalId: string | undefined;
  private readonly epoch: number;
  private current: MemoryTransaction | null = null;
  private closed = false;

  constructor(
    private readonly broker: MemoryBroker,
    opts: ProducerOptions = {},
  ) {
    this.transactionalId = opts.transactionalId;
    this.epoch = this.transactionalId === undefined ? 0 : broker.initTransactions(this.transactionalId);
  }

  async send(records: OutRecord[]): Promise<void> {
    this.check();
    if (this.transactionalId !== undefined) {
      throw busError('a transactional producer sends inside transaction()', { transactionalId: this.transactionalId });
    }
    appendAll(this.broker, records, null);
  }

  async transaction(): Promise<BusTransaction> {
    this.check();
    if (this.transactionalId === undefined) throw busError('transaction() needs a producer with a transactionalId');
    if (this.current?.open === true) throw busError(`transaction of ${this.transactionalId} already open`);
    this.current = new MemoryTransaction(this.broker, () => this.check());
    this.broker.beginTransaction(this.transactionalId, this.current.mark);
    return this.current;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // An open transaction dies with its producer (Kafka aborts it at the transaction timeout).
    if (this.current?.open === true && this.isCurrent()) await this.current.abort();
    this.closed = true;
  }

  private isCurrent(): boolean {
    return this.transactionalId === undefined || this.broker.isCurrentEpoch(this.transactionalId, this.epoch);
  }

  /** Refuses a closed producer, and one a newer producer with the same transactionalId fenced. */
  private check(): void {
    if (this.closed) throw busError('producer is closed');
    if (!this.isCurrent()) {
      throw busError(`producer fenced: a newer producer uses transactionalId ${this.transactionalId}`, {
        transactionalId: this.transactionalId,
      });
    }
  }
}

class MemoryTransaction implements BusTransaction {
  readonly mark: TxnMark = { status: 'open' };
  private readonly offsets = new Map<string, TopicPartitionOffset[]>();

  constructor(
    private readonly broker: MemoryBroker,
    private readonly check: () => void,
  ) {}

  get open(): boolean {
    return this.mark.status === 'open';
  }

  async send(records: OutRecord[]): Promise<void> {
    this.checkOpen();
    appendAll(this.broker, records, this.mark);
  }

  async sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
    this.checkOpen();
    this.offsets.set(groupId, [...(this.offsets.get(groupId) ?? []), ...offsets]);
  }

  async commit(): Promise<void> {
    this.checkOpen();
    for (const [groupId, offsets] of this.offsets) this.broker.commit(groupId, offsets);
    this.end('committed');
  }

  async abort(): Promise<void> {
    this.checkOpen();
    this.end('aborted');
  }

  private end(status: 'committed' | 'aborted'): void {
    this.mark.status = status;
    this.broker.wakeAll(); // read_committed readers waiting at the stable offset may move on
  }

  private checkOpen(): void {
    this.check();
    if (!this.open) throw busError(`transaction already ${this.mark.status}`);
  }
}

/** Validates every record before appending any, so a bad batch leaves the log untouched. */
function appendAll(broker: MemoryBroker, records: OutRecord[], txn: TxnMark | null): void {
  for (const r of records) broker.validate(r);
  for (const r of records) broker.append(r, txn);
  broker.wakeAll();
}
