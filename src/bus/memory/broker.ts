/**
 * The in-process "broker": topics of partition logs, consumer-group offsets and membership, and
 * transactional-id epochs. Shared by the producers and consumers one MemoryBus hands out.
 * Everything is synchronous; consumers are woken (not timed) when something they may read changes.
 */
import { RouterError } from '../../core/errors.ts';
import { partitionForKey } from '../partitioner.ts';
import type { Clock, OutRecord, TopicPartition, TopicPartitionOffset, TopicSpec } from '../types.ts';
import { PartitionLog } from './log.ts';
import type { TxnMark } from './log.ts';

export interface MemoryTopic {
  name: string;
  configs: Record<string, string>;
  partitions: PartitionLog[];
}

/** What the broker needs from a consumer-group member. */
export interface GroupMember {
  readonly topics: readonly string[];
  /** The member's new assignment after a join or leave; it restarts from the committed offsets. */
  assign(partitions: TopicPartition[]): void;
  /** Something it may read changed (append, commit, abort). */
  wake(): void;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function busError(message: string, extra: Record<string, unknown> = {}): RouterError {
  return new RouterError('RR_BUS', message, extra);
}

export class MemoryBroker {
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly offsets = new Map<string, Map<string, number>>();
  private readonly groups = new Map<string, GroupMember[]>();
  private readonly epochs = new Map<string, number>();
  private readonly openTxns = new Map<string, TxnMark>();
  /** Round-robin counters for keyless records (deterministic, unlike kafkajs's random start). */
  private readonly roundRobin = new Map<string, number>();

  constructor(readonly clock: Clock) {}

  createTopic(spec: TopicSpec): void {
    if (this.topics.has(spec.name)) return;
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw busError(`topic ${spec.name}: partitions must be a positive integer`, { topic: spec.name });
    }
    const partitions = Array.from({ length: spec.partitions }, () => new PartitionLog());
    this.topics.set(spec.name, { name: spec.name, configs: { ...spec.configs }, partitions });
  }

  topic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw busError(`unknown topic ${name} (create it first)`, { topic: name });
    return topic;
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  isCompacted(topic: MemoryTopic): boolean {
    return (topic.configs['cleanup.policy'] ?? 'delete').split(',').includes('compact');
  }

  /** Throws unless `record` can be appended (topic, partition, key on a compacted topic). */
  validate(record: OutRecord): void {
    const topic = this.topic(record.topic);
    const { partition } = record;
    if (partition !== undefined && topic.partitions[partition] === undefined) {
      throw busError(`${topic.name} has no partition ${partition}`, { topic: topic.name, partition });
    }
    // Kafka refuses keyless records on compacted topics (CorruptRecordException); so do we.
    if (record.key === null && this.isCompacted(topic)) {
      throw busError(`${topic.name} is compacted: records need a key`, { topic: topic.name });
    }
  }

  /** Appends one validated record; `txn` null outside a transaction. */
  append(record: OutRecord, txn: TxnMark | null): void {
    const topic = this.topic(record.topic);
    const count = topic.partitions.length;
    const partition =
      record.partition ?? (record.key !== null ? partitionForKey(record.key, count) : this.nextRoundRobin(topic.name) % count);
    topic.partitions[partition]!.append({
      key: record.key,
      value: record.value,
      headers: { ...record.headers },
      timestamp: this.clock.now(),
      txn,
    });
  }

  committed(groupId: string, topic: string, partition: number): number | undefined {
    return this.offsets.get(groupId)?.get(tpKey(topic, partition));
  }

  commit(groupId: string, offsets: TopicPartitionOffset[]): void {
    let group = this.offsets.get(groupId);
    if (group === undefined) this.offsets.set(groupId, (group = new Map()));
    for (const o of offsets) group.set(tpKey(o.topic, o.partition), Number(o.offset));
  }

  join(groupId: string, member: GroupMember): void {
    this.groups.set(groupId, [...(this.groups.get(groupId) ?? []), member]);
    this.rebalance(groupId);
  }

  leave(groupId: string, member: GroupMember): void {
    this.groups.set(
      groupId,
      (this.groups.get(groupId) ?? []).filter((m) => m !== member),
    );
    this.rebalance(groupId);
  }

  /**
   * Registers a transactional producer: bumps the id's epoch, which fences any older producer, and
   * aborts the older one's open transaction (as Kafka's InitProducerId does).
   */
  initTransactions(transactionalId: string): number {
    const epoch = (this.epochs.get(transactionalId) ?? 0) + 1;
    this.epochs.set(transactionalId, epoch);
    const open = this.openTxns.get(transactionalId);
    if (open?.status === 'open') {
      open.status = 'aborted';
      this.wakeAll();
    }
    return epoch;
  }

  /** Remembers the id's open transaction, so a newer producer with the same id can abort it. */
  beginTransaction(transactionalId: string, mark: TxnMark): void {
    this.openTxns.set(transactionalId, mark);
  }

  isCurrentEpoch(transactionalId: string, epoch: number): boolean {
    return this.epochs.get(transactionalId) === epoch;
  }

  wakeAll(): void {
    for (const members of this.groups.values()) for (const m of members) m.wake();
  }

  /** Partition p of a topic goes to the (p mod n)-th member subscribed to it, in join order. */
  private rebalance(groupId: string): void {
    const members = this.groups.get(groupId) ?? [];
    const assignment = new Map<GroupMember, TopicPartition[]>(members.map((m) => [m, []]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const name of topics) {
      const subscribers = members.filter((m) => m.topics.includes(name));
      const count = this.topic(name).partitions.length;
      for (let p = 0; p < count; p++) assignment.get(subscribers[p % subscribers.length]!)!.push({ topic: name, partition: p });
    }
    for (const [member, partitions] of assignment) member.assign(partitions);
  }

  private nextRoundRobin(topic: string): number {
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, n + 1);
    return n;
  }
}
