/**
 * Translation between the bus's records and kafkajs's, and the namespace prefix. The prefix applies
 * to topics, group ids and transactional ids alike, so a replay namespace shares nothing with the
 * live one (not even group membership).
 */
import type { IHeaders, KafkaMessage, Message, TopicMessages } from 'kafkajs';
import type { BusRecord, OutRecord, TopicPartitionOffset } from '../types.ts';

export class Naming {
  constructor(readonly prefix: string) {}

  topic(name: string): string {
    return this.prefix + name;
  }

  /** The bus name of a wire topic (the prefix stripped). */
  fromWire(name: string): string {
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }

  group(groupId: string): string {
    return this.prefix + groupId;
  }

  transactionalId(id: string): string {
    return this.prefix + id;
  }
}

/** Groups records by topic for sendBatch, keeping their order within each topic. */
/** A record at least this large goes out in a produce request of its own. */
export const LARGE_RECORD_BYTES = 64 * 1024;
/** Most bytes of small records put into one produce request. */
export const REQUEST_BYTES = 512 * 1024;

/**
 * Splits records into produce requests so that no partition's record batch can pass a topic's
 * `max.message.bytes`: kafkajs puts every record of one partition in one request into a single
 * batch, and the broker checks the limit per batch. A large record (a posterior snapshot, a big
 * delta) goes alone, so its topic needs room for one record only (src/records/topicConfigs.ts);
 * small records share requests of at most REQUEST_BYTES, under the broker's 1 MiB default.
 * Order is kept: requests go out one after another on an idempotent producer.
 */
export function splitForRequests(records: readonly OutRecord[]): OutRecord[][] {
  const out: OutRecord[][] = [];
  let current: OutRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = (r.value?.length ?? 0) + (r.key?.length ?? 0);
    if (size >= LARGE_RECORD_BYTES) {
      if (current.length > 0) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      out.push([r]);
      continue;
    }
    if (current.length > 0 && bytes + size > REQUEST_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function toTopicMessages(naming: Naming, records: OutRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    const topic = naming.topic(r.topic);
    let messages = byTopic.get(topic);
    if (messages === undefined) byTopic.set(topic, (messages = []));
    const message: Message = { key: r.key, value: r.value, headers: { ...r.headers } };
    if (r.partition !== undefined) message.partition = r.partition;
    messages.push(message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Kafka allows repeated header names; kafkajs gives them as an array. The last one wins (Java's lastHeader). */
export function toHeaders(headers: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = Buffer.isBuffer(value) ? value : Buffer.from(value);
  }
  return out;
}

export function toBusRecord(topic: string, partition: number, m: KafkaMessage): BusRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: toHeaders(m.headers),
    timestamp: m.timestamp,
  };
}

/** Offsets in kafkajs's commitOffsets shape, wire topic names. */
export function toWireOffsets(naming: Naming, offsets: TopicPartitionOffset[]): TopicPartitionOffset[] {
  return offsets.map((o) => ({ topic: naming.topic(o.topic), partition: o.partition, offset: o.offset }));
}

/** Offsets in the shape of Transaction.sendOffsets: grouped by topic. */
export function toOffsetsByTopic(
  naming: Naming,
  offsets: TopicPartitionOffset[],
): Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const o of toWireOffsets(naming, offsets)) {
    let partitions = byTopic.get(o.topic);
    if (partitions === undefined) byTopic.set(o.topic, (partitions = []));
    partitions.push({ partition: o.partition, offset: o.offset });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
