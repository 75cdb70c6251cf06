/**
 * The bus: bytes in, bytes out. Records are already-encoded Buffers (the Avro codec lives elsewhere).
 * Two adapters implement it with the same semantics: the in-process bus (`./memory/`, the embedded
 * default and the unit-test bus) and the Kafka adapter (`./kafka/`, kafkajs). See docs/bus.md.
 */

/** A record as a consumer sees it. Offsets and timestamps are decimal strings, as kafkajs gives them. */
export interface BusRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Milliseconds since the epoch (Kafka CreateTime; the injected clock in the in-process bus). */
  timestamp: string;
}

/** A record to produce. Without `partition`, a keyed record goes to murmur2(key) % partitions. */
export interface OutRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
  partition?: number;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  configs?: Record<string, string>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A position in a partition. `offset` is the NEXT offset to read (Kafka's committed-offset convention). */
export interface TopicPartitionOffset extends TopicPartition {
  offset: string;
}

/** Records of one topic-partition, in offset order. */
export interface BusBatch extends TopicPartition {
  records: BusRecord[];
}

/**
 * Called with one batch at a time. The next batch (of any partition) is not delivered before the
 * returned promise settles, so a slow handler is itself backpressure. A handler that throws stops
 * the consumer (the batch is not marked consumed) and the error goes to `ConsumerOptions.onError`.
 */
export type BatchHandler = (batch: BusBatch) => Promise<void>;

/** Consumer timings for the Kafka adapter (ignored in-process). Defaults: kafkajs's, unless the bus sets others. */
export interface ConsumerTiming {
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: earliest (true) or the end (false, default). */
  fromBeginning?: boolean;
  /** Skip records of open and aborted transactions. Default true. */
  readCommitted?: boolean;
  /** Commit each batch's offsets after its handler resolves. Default true; false when offsets go into a transaction. */
  autoCommit?: boolean;
  /** Most records per batch (in-process bus; Kafka batches are sized by fetch bytes). Default 500. */
  maxBatchSize?: number;
  /** Where handler errors and consumer crashes go; the consumer has stopped delivering when it is called. */
  onError?: (err: unknown) => void;
  timing?: ConsumerTiming;
}

export interface BusConsumer {
  readonly groupId: string;
  /** Starts delivery; resolves once this member has joined the group and has its assignment. */
  run(handler: BatchHandler): Promise<void>;
  /** Stops fetching for every partition of the subscribed topics until resume(). */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Commits group offsets (next offset to read) outside any transaction. */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Stops delivery and leaves the group. Idempotent. */
  close(): Promise<void>;
}

export interface BusTransaction {
  send(records: OutRecord[]): Promise<void>;
  /** Commits these group offsets atomically with the transaction's records (next offset to read). */
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface BusProducer {
  /** Plain (idempotent) send; refused on a transactional producer (use transaction()). */
  send(records: OutRecord[]): Promise<void>;
  /** Begins a transaction; needs `transactionalId`; one open transaction per producer at a time. */
  transaction(): Promise<BusTransaction>;
  close(): Promise<void>;
}

export interface ProducerOptions {
  /** Makes the producer transactional. A newer producer with the same id fences the older one. */
  transactionalId?: string;
}

export interface ReadToEndOptions {
  /** Default true: skip records of aborted transactions and stop at the last stable offset. */
  readCommitted?: boolean;
  /** Give up after this long (Kafka adapter). Default 30 000 ms. */
  timeoutMs?: number;
}

/** Per partition: the offset after the last record (last stable offset in the Kafka adapter). */
export interface PartitionEnd {
  partition: number;
  /** First offset still in the log. */
  low: string;
  /** Next offset to be written that read_committed readers may see (LSO; = high watermark without open transactions). */
  high: string;
}

export interface Bus {
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  createTopics(specs: TopicSpec[]): Promise<void>;
  /** The topic's configs (Kafka: every config the broker reports, defaults included). */
  describeTopicConfig(name: string): Promise<Record<string, string>>;
  producer(opts?: ProducerOptions): Promise<BusProducer>;
  consumer(opts: ConsumerOptions): Promise<BusConsumer>;
  /** Every record of every partition up to the end offsets at call time: the restore path. Partition order, then offset order. */
  readToEnd(topic: string, opts?: ReadToEndOptions): Promise<BusRecord[]>;
  endOffsets(topic: string): Promise<PartitionEnd[]>;
  /** Deletes consumer groups that have no members (Kafka); the in-process bus keeps no empty groups. */
  deleteGroups?(groupIds: string[]): Promise<void>;
  /**
   * Joins group `groupId` for a lease on `topic`'s partitions: exactly one member holds it at a time
   * (Kafka; src/bus/kafka/lease.ts). Absent in-process, where there is only one instance.
   */
  lease?(opts: {
    groupId: string;
    topic: string;
    onChange(active: boolean): void;
    onError(err: unknown): void;
  }): Promise<{ readonly active: boolean; close(): Promise<void> }>;
  /** Consumer groups whose id starts with `prefix` and that have no members (Kafka). */
  emptyGroups?(prefix: string): Promise<string[]>;
  /** Closes every producer and consumer this bus handed out that is still open. */
  close(): Promise<void>;
}

/** The injected clock (milliseconds since the epoch). */
export interface Clock {
  now(): number;
}
