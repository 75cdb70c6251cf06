/**
 * The in-process bus: the embedded default for `npm start` and the unit tests. Same interface and
 * semantics as the Kafka adapter where it matters to the stream apps (partitioning, per-partition
 * order, groups and committed offsets, read_committed transactions, compaction, readToEnd); see
 * docs/bus.md for what it does not reproduce.
 */
import type {
  Bus,
  BusConsumer,
  BusProducer,
  BusRecord,
  Clock,
  ConsumerOptions,
  PartitionEnd,
  ProducerOptions,
  ReadToEndOptions,
  TopicSpec,
} from '../types.ts';
import { OpenClients } from '../clients.ts';
import { MemoryBroker } from './broker.ts';
import { MemoryConsumer } from './consumer.ts';
import { MemoryProducer } from './producer.ts';

export interface MemoryBusOptions {
  /** Record timestamps. Default: a logical clock counting 1, 2, 3… (deterministic, not wall time). */
  clock?: Clock;
}

export interface MemoryBus extends Bus {
  /** Compacts `topic` (or every topic with cleanup.policy=compact): latest record per key, no tombstones. */
  compact(topic?: string): void;
}

/** A logical clock: each call returns the next integer. */
export function counterClock(start = 0): Clock {
  let t = start;
  return { now: () => (t += 1) };
}

export function createMemoryBus(opts: MemoryBusOptions = {}): MemoryBus {
  const broker = new MemoryBroker(opts.clock ?? counterClock());
  const clients = new OpenClients();

  return {
    async createTopics(specs: TopicSpec[]): Promise<void> {
      for (const spec of specs) broker.createTopic(spec);
    },
    async describeTopicConfig(name: string): Promise<Record<string, string>> {
      return { ...broker.topic(name).configs };
    },
    async producer(popts?: ProducerOptions): Promise<BusProducer> {
      return clients.track(new MemoryProducer(broker, popts));
    },
    async consumer(copts: ConsumerOptions): Promise<BusConsumer> {
      return clients.track(new MemoryConsumer(broker, copts));
    },
    async readToEnd(topic: string, ropts: ReadToEndOptions = {}): Promise<BusRecord[]> {
      const readCommitted = ropts.readCommitted ?? true;
      return broker.topic(topic).partitions.flatMap((log, partition) =>
        log.read(log.lowWatermark, readCommitted, Number.MAX_SAFE_INTEGER).records.map((r) => ({
          topic,
          partition,
          offset: String(r.offset),
          key: r.key,
          value: r.value,
          headers: { ...r.headers },
          timestamp: String(r.timestamp),
        })),
      );
    },
    async endOffsets(topic: string): Promise<PartitionEnd[]> {
      return broker
        .topic(topic)
        .partitions.map((log, partition) => ({ partition, low: String(log.lowWatermark), high: String(log.stableOffset) }));
    },
    compact(topic?: string): void {
      const topics = topic === undefined ? broker.topicNames() : [topic];
      for (const name of topics) {
        const t = broker.topic(name);
        if (broker.isCompacted(t)) for (const log of t.partitions) log.compact();
      }
    },
    async close(): Promise<void> {
      await clients.closeAll();
    },
  };
}
