/**
 * Producers of the Kafka adapter: always idempotent (acks=all, one request in flight, so retries
 * neither duplicate nor reorder); transactional when given a transactionalId.
 */
import { Partitioners } from 'kafkajs';
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { RouterError } from '../../core/errors.ts';
import type { BusProducer, BusTransaction, OutRecord, ProducerOptions, TopicPartitionOffset } from '../types.ts';
import { splitForRequests, toOffsetsByTopic, toTopicMessages } from './convert.ts';
import type { Naming } from './convert.ts';
import { SendQueue } from './sendQueue.ts';

export interface KafkaProducerSettings {
  /** ms; must not exceed the broker's transaction.max.timeout.ms (900 000 by default). */
  transactionTimeout: number;
}

export async function createKafkaProducer(
  kafka: Kafka,
  naming: Naming,
  opts: ProducerOptions,
  settings: KafkaProducerSettings,
): Promise<BusProducer> {
  const transactional = opts.transactionalId !== undefined;
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Same key → partition function as the in-process bus (src/bus/partitioner.ts).
    createPartitioner: Partitioners.DefaultPartitioner,
    // Topics are created on purpose (createTopics); a typo must fail, not create a topic.
    allowAutoTopicCreation: false,
    ...(transactional
      ? { transactionalId: naming.transactionalId(opts.transactionalId!), transactionTimeout: settings.transactionTimeout }
      : {}),
  });
  await producer.connect();
  return new KafkaBusProducer(producer, naming, transactional);
}

class KafkaBusProducer implements BusProducer {
  private closed = false;
  /** Sends made while a request is in flight go out together in the next one (sendQueue.ts). */
  private readonly queue: SendQueue;

  constructor(
    private readonly producer: Producer,
    private readonly naming: Naming,
    private readonly transactional: boolean,
  ) {
    this.queue = new SendQueue(async (part) => {
      await this.producer.sendBatch({ topicMessages: toTopicMessages(this.naming, part) });
    });
  }

  async send(records: OutRecord[]): Promise<void> {
    if (this.transactional) throw new RouterError('RR_BUS', 'a transactional producer sends inside transaction()');
    await this.queue.send(records);
  }

  async transaction(): Promise<BusTransaction> {
    if (!this.transactional) throw new RouterError('RR_BUS', 'transaction() needs a producer with a transactionalId');
    return new KafkaBusTransaction(await this.producer.transaction(), this.naming);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer.disconnect();
  }
}

class KafkaBusTransaction implements BusTransaction {
  constructor(
    private readonly txn: Transaction,
    private readonly naming: Naming,
  ) {}

  async send(records: OutRecord[]): Promise<void> {
    for (const part of splitForRequests(records)) await this.txn.sendBatch({ topicMessages: toTopicMessages(this.naming, part) });
  }

  async sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.txn.sendOffsets({ consumerGroupId: this.naming.group(groupId), topics: toOffsetsByTopic(this.naming, offsets) });
  }

  async commit(): Promise<void> {
    await this.txn.commit();
  }

  async abort(): Promise<void> {
    await this.txn.abort();
  }
}
