/**
 * A consumer-group member of the in-process bus. Delivery is a pump woken by the broker (no timers):
 * one batch at a time, partitions in assignment order, append order within a partition.
 */
import type { BatchHandler, BusConsumer, BusRecord, ConsumerOptions, TopicPartition, TopicPartitionOffset } from '../types.ts';
import { busError } from './broker.ts';
import type { GroupMember, MemoryBroker } from './broker.ts';
import type { StoredRecord } from './log.ts';

/**
 * Deliveries chain on promises only, so a busy in-process loop would never let timers and I/O run
 * (an exporter's HTTP request, an HTTP scorer's reply, the health server) until it went idle. A
 * real consumer's fetch is I/O: each pass over the partitions ends with a turn of the event loop,
 * like one would. The yield points depend on the work only, never on the clock, so the
 * interleaving of consumers, and every topic's bytes, stay the same from run to run.
 */
const yieldNow = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

export class MemoryConsumer implements BusConsumer, GroupMember {
  readonly groupId: string;
  readonly topics: readonly string[];
  private readonly readCommitted: boolean;
  private readonly autoCommit: boolean;
  private readonly maxBatchSize: number;
  private assigned: TopicPartition[] = [];
  private positions = new Map<TopicPartition, number>();
  /** Bumped on every assignment, so a batch that straddles a rebalance does not move a stale position. */
  private generation = 0;
  private handler: BatchHandler | null = null;
  private pumping: Promise<void> | null = null;
  private dirty = false;
  private closed = false;
  private isPaused = false;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly opts: ConsumerOptions,
  ) {
    this.groupId = opts.groupId;
    this.topics = [...opts.topics];
    this.readCommitted = opts.readCommitted ?? true;
    this.autoCommit = opts.autoCommit ?? true;
    this.maxBatchSize = opts.maxBatchSize ?? 500;
    for (const topic of this.topics) broker.topic(topic); // unknown topic: fail now, not at join
  }

  get paused(): boolean {
    return this.isPaused;
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.closed) throw busError(`consumer of group ${this.groupId} is closed`);
    if (this.handler !== null) throw busError(`consumer of group ${this.groupId} is already running`);
    this.handler = handler;
    this.broker.join(this.groupId, this);
  }

  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    this.isPaused = false;
    this.wake();
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    this.broker.commit(this.groupId, offsets);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let the batch in the handler finish first, like kafkajs's disconnect waits for the running batch.
    await this.pumping;
    if (this.handler !== null) this.broker.leave(this.groupId, this);
  }

  assign(partitions: TopicPartition[]): void {
    this.generation += 1;
    this.assigned = partitions;
    this.positions = new Map(partitions.map((tp) => [tp, this.startOffset(tp)]));
    this.wake();
  }

  wake(): void {
    this.dirty = true;
    if (this.pumping !== null || this.handler === null || this.closed) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      // A wake that came after the pump's last check but before this point would be lost otherwise.
      if (this.dirty) this.wake();
    });
  }

  /** Committed offset, else the reset policy: log start (fromBeginning) or the current end. */
  private startOffset(tp: TopicPartition): number {
    const committed = this.broker.committed(this.groupId, tp.topic, tp.partition);
    if (committed !== undefined) return committed;
    const log = this.broker.topic(tp.topic).partitions[tp.partition]!;
    if (this.opts.fromBeginning === true) return log.lowWatermark;
    return this.readCommitted ? log.stableOffset : log.highWatermark;
  }

  private async pump(): Promise<void> {
    // Runs after the current call stack (run(), send()) returns, like a real fetch would.
    await Promise.resolve();
    while (this.dirty && !this.closed) {
      this.dirty = false;
      for (const tp of this.assigned) {
        if (this.isPaused || this.closed) break;
        if (!(await this.deliver(tp))) return;
      }
      await yieldNow();
    }
  }

  /** Delivers one batch of `tp` if it has one; false when the handler failed (the consumer stops). */
  private async deliver(tp: TopicPartition): Promise<boolean> {
    const generation = this.generation;
    const from = this.positions.get(tp);
    if (from === undefined) return true;
    const log = this.broker.topic(tp.topic).partitions[tp.partition]!;
    const { records, next } = log.read(from, this.readCommitted, this.maxBatchSize);
    if (records.length > 0) {
      try {
        await this.handler!({ ...tp, records: records.map((r) => toBusRecord(tp, r)) });
      } catch (err) {
        this.closed = true;
        this.broker.leave(this.groupId, this);
        this.opts.onError?.(err);
        return false;
      }
      this.dirty = true; // there may be more than one batch's worth
    }
    // A rebalance during the handler restarted this member from the committed offsets: keep those.
    if (generation !== this.generation) return true;
    this.positions.set(tp, next);
    if (this.autoCommit && next !== from) this.broker.commit(this.groupId, [{ ...tp, offset: String(next) }]);
    return true;
  }
}

function toBusRecord(tp: TopicPartition, r: StoredRecord): BusRecord {
  return {
    topic: tp.topic,
    partition: tp.partition,
    offset: String(r.offset),
    key: r.key,
    value: r.value,
    headers: { ...r.headers },
    timestamp: String(r.timestamp),
  };
}
