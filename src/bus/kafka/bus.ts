/**
 * The Kafka adapter of the bus (kafkajs 2.2.4). The kafkajs client is a collaborator: pass one in
 * (`kafka`) or let the factory build it from brokers/clientId. See docs/bus.md.
 */
import kafkajs from 'kafkajs';
import type { Admin, ConfigResourceTypes as ConfigResourceType, Kafka as KafkaClient, KafkaConfig, logLevel as LogLevel } from 'kafkajs';
import { RouterError } from '../../core/errors.ts';
import type {
  Bus,
  BusConsumer,
  BusProducer,
  BusRecord,
  ConsumerOptions,
  ConsumerTiming,
  PartitionEnd,
  ProducerOptions,
  ReadToEndOptions,
  TopicSpec,
} from '../types.ts';
import { OpenClients } from '../clients.ts';
import { Naming } from './convert.ts';
import { fetchTopicOffsets, withMetadataRetry } from './retry.ts';
import { KafkaBusConsumer } from './consumer.ts';
import { createKafkaProducer } from './producer.ts';
import { acquireLease } from './lease.ts';
import { kafkaLogCreator } from './log.ts';
import { readToEnd } from './readToEnd.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs log level; default ERROR (retried broker errors print at WARN then, see ./log.ts). */
  logLevel?: LogLevel;
  /** Namespace for topics, group ids and transactional ids, e.g. 'rr.' or a replay's 'replay-7.'. */
  prefix?: string;
  /** A ready kafkajs client (then brokers/clientId/logLevel/kafkaConfig are not used). */
  kafka?: KafkaClient;
  /** More kafkajs client settings (connectionTimeout, retry, ssl, sasl…). */
  kafkaConfig?: Partial<KafkaConfig>;
  /** Default consumer timings; tests want short ones (test/helpers/kafka.ts TEST_CONSUMER_SETTINGS). */
  consumerTiming?: ConsumerTiming;
  /** Transaction timeout in ms, ≤ the broker's transaction.max.timeout.ms. Default 60 000. */
  transactionTimeout?: number;
  /** How long a consumer's run() waits for the group join. Default 30 000 ms. */
  joinTimeoutMs?: number;
}

// kafkajs is CommonJS: Node's ESM loader sees only some of its names (not ConfigResourceTypes) as named exports.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
const TOPIC: ConfigResourceType = ConfigResourceTypes.TOPIC;

let readers = 0;

export function createKafkaBus(opts: KafkaBusOptions): Bus {
  const kafka =
    opts.kafka ??
    new Kafka({
      // Retried broker errors at WARN with a count, real failures at ERROR (./log.ts); a caller's own logCreator wins.
      logCreator: kafkaLogCreator(),
      ...opts.kafkaConfig,
      brokers: opts.brokers,
      clientId: opts.clientId,
      logLevel: opts.logLevel ?? logLevel.ERROR,
    });
  const naming = new Naming(opts.prefix ?? '');
  const timing = opts.consumerTiming ?? {};
  const clients = new OpenClients();
  let admin: Promise<Admin> | null = null;
  let closing: Promise<void> | null = null;
  /** readToEnd's throwaway consumers still reading: bus.close() disconnects them too. */
  const reading = new Set<{ disconnect(): Promise<void> }>();
  const track = (c: { disconnect(): Promise<void> }): (() => void) => {
    reading.add(c);
    return () => reading.delete(c);
  };

  const getAdmin = (): Promise<Admin> => {
    if (clients.closed) return Promise.reject(new RouterError('RR_BUS', 'bus is closed'));
    admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })();
    return admin;
  };
  return {
    async createTopics(specs: TopicSpec[]): Promise<void> {
      if (specs.length === 0) return;
      const admin = await getAdmin();
      const topics = specs.map((s) => ({
        topic: naming.topic(s.name),
        numPartitions: s.partitions,
        configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      }));
      // Existing topics are skipped by the broker, so a retried call only finishes the leader wait.
      await withMetadataRetry(
        admin,
        topics.map((t) => t.topic),
        () => admin.createTopics({ waitForLeaders: true, topics }),
      );
    },
    async describeTopicConfig(name: string): Promise<Record<string, string>> {
      const { resources } = await (
        await getAdmin()
      ).describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC, name: naming.topic(name) }] });
      const resource = resources[0];
      if (resource === undefined || resource.errorCode !== 0) {
        throw new RouterError('RR_BUS', `describeConfigs(${name}) failed: ${resource?.errorMessage ?? 'no answer'}`, { topic: name });
      }
      return Object.fromEntries(resource.configEntries.map((e) => [e.configName, e.configValue]));
    },
    async producer(popts: ProducerOptions = {}): Promise<BusProducer> {
      clients.assertOpen();
      return clients.track(await createKafkaProducer(kafka, naming, popts, { transactionTimeout: opts.transactionTimeout ?? 60_000 }));
    },
    async consumer(copts: ConsumerOptions): Promise<BusConsumer> {
      clients.assertOpen();
      return clients.track(new KafkaBusConsumer(kafka, naming, copts, { timing, joinTimeoutMs: opts.joinTimeoutMs ?? 30_000 }));
    },
    async readToEnd(topic: string, ropts?: ReadToEndOptions): Promise<BusRecord[]> {
      readers += 1;
      const groupId = naming.group(`${opts.clientId}.read-to-end.${process.pid}.${readers}`);
      return readToEnd({ kafka, admin: await getAdmin(), naming, timing, groupId, track }, topic, ropts);
    },
    async endOffsets(topic: string): Promise<PartitionEnd[]> {
      const ends = await fetchTopicOffsets(await getAdmin(), naming.topic(topic));
      return ends.map((e) => ({ partition: e.partition, low: e.low, high: e.high })).sort((a, b) => a.partition - b.partition);
    },
    async deleteGroups(groupIds: string[]): Promise<void> {
      if (groupIds.length > 0) await (await getAdmin()).deleteGroups(groupIds.map((g) => naming.group(g)));
    },
    async lease(lopts) {
      clients.assertOpen();
      const lease = await acquireLease(kafka, naming, timing, lopts);
      return clients.track({
        get active() {
          return lease.active;
        },
        close: () => lease.close(),
      });
    },
    async emptyGroups(prefix: string): Promise<string[]> {
      const a = await getAdmin();
      const wire = naming.group(prefix);
      const ids = (await a.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(wire));
      if (ids.length === 0) return [];
      const { groups } = await a.describeGroups(ids);
      return groups.filter((g) => g.state === 'Empty' || g.state === 'Dead').map((g) => g.groupId.slice(naming.prefix.length));
    },
    close(): Promise<void> {
      // Every call waits for the one close: a caller must not go on (exit) while clients still leave their groups.
      closing ??= (async () => {
        await Promise.allSettled([clients.closeAll(), ...[...reading].map((c) => c.disconnect())]);
        if (admin !== null) await (await admin).disconnect();
      })();
      return closing;
    },
  };
}
