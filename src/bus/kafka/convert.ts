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
export function toTopicMessages(naming: Naming, records: OutRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    const topic = naming.topic(r.topic);
    let messages = byTopic.get(topic);
    if (messages === undefined) byTopic.set(topic, messages = []);
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
  return { topic, partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null,
    headers: toHeaders(m.headers), timestamp: m.timestamp };
}

/** Offsets in kafkajs's commitOffsets shape, wire topic names. */
export function toWireOffsets(naming: Naming, offsets: TopicPartitionOffset[]): TopicPartitionOffset[] {
  return offsets.map((o) => ({ topic: naming.topic(o.topic), partition: o.partition, offset: o.offset }));
}

/** Offsets in the shape of Transaction.sendOffsets: grouped by topic. */
export function toOffsetsByTopic(naming: Naming, offsets: TopicPartitionOffset[]):
  Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const o of toWireOffsets(naming, offsets)) {
    let partitions = byTopic.get(o.topic);
    if (partitions === undefined) byTopic.set(o.topic, partitions = []);
    partitions.push({ partition: o.partition, offset: o.offset });
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
