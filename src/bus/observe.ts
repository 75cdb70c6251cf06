/**
 * A bus that tells an observer what an app reads, writes and commits, without touching the app:
 * the adapter both the Prometheus metrics (src/health/instrumentBus.ts) and the OpenTelemetry
 * metrics (src/telemetry/bus.ts) are built on. Everything else passes through unchanged, the
 * optional capabilities included (lease, deleteGroups, emptyGroups): an observed bus must behave
 * as the bus it wraps, or an app that asks for a lease (active/standby) would silently get none.
 */
import type { Bus, BusBatch, BusConsumer, BusProducer, BusTransaction, OutRecord, TopicPartitionOffset } from './types.ts';

export interface BusObserver {
  /** A batch about to be handed to the app's handler. */
  consumed?(batch: BusBatch): void;
  /** Records produced: a plain send once acknowledged, a transaction's records at its commit. */
  sent?(records: readonly OutRecord[]): void;
  /** Group offsets committed: a consumer's commit, or a transaction's offsets at its commit. */
  committed?(offsets: readonly TopicPartitionOffset[]): void;
  /** A consumer was created. */
  consumerCreated?(): void;
  /** A consumer's run() resolved (it joined its group). */
  consumerJoined?(): void;
  /** A consumer that had joined was closed. */
  consumerLeft?(): void;
  /** The bus was closed. */
  closed?(): void;
}

export function observeBus(bus: Bus, o: BusObserver): Bus {
  const wrapProducer = (p: BusProducer): BusProducer => ({
    async send(records) {
      await p.send(records);
      o.sent?.(records);
    },
    async transaction(): Promise<BusTransaction> {
      const tx = await p.transaction();
      const sent: OutRecord[] = [];
      const offsets: TopicPartitionOffset[] = [];
      return {
        async send(records) {
          await tx.send(records);
          sent.push(...records);
        },
        async sendOffsets(groupId, offs) {
          await tx.sendOffsets(groupId, offs);
          offsets.push(...offs);
        },
        async commit() {
          await tx.commit();
          o.sent?.(sent);
          o.committed?.(offsets);
        },
        abort: () => tx.abort(),
      };
    },
    close: () => p.close(),
  });

  const wrapConsumer = (c: BusConsumer): BusConsumer => {
    let joined = false;
    return {
      get groupId() {
        return c.groupId;
      },
      get paused() {
        return c.paused;
      },
      async run(handler) {
        await c.run(async (batch) => {
          o.consumed?.(batch);
          await handler(batch);
        });
        joined = true;
        o.consumerJoined?.();
      },
      pause: () => c.pause(),
      resume: () => c.resume(),
      async commit(offsets) {
        await c.commit(offsets);
        o.committed?.(offsets);
      },
      async close() {
        if (joined) {
          joined = false;
          o.consumerLeft?.();
        }
        await c.close();
      },
    };
  };

  return {
    createTopics: (specs) => bus.createTopics(specs),
    describeTopicConfig: (name) => bus.describeTopicConfig(name),
    async producer(opts) {
      return wrapProducer(await bus.producer(opts));
    },
    async consumer(opts) {
      o.consumerCreated?.();
      return wrapConsumer(await bus.consumer(opts));
    },
    readToEnd: (topic, opts) => bus.readToEnd(topic, opts),
    endOffsets: (topic) => bus.endOffsets(topic),
    ...(bus.deleteGroups ? { deleteGroups: (ids: string[]) => bus.deleteGroups!(ids) } : {}),
    ...(bus.lease ? { lease: (lo: Parameters<NonNullable<Bus['lease']>>[0]) => bus.lease!(lo) } : {}),
    ...(bus.emptyGroups ? { emptyGroups: (prefix: string) => bus.emptyGroups!(prefix) } : {}),
    close: () => {
      o.closed?.();
      return bus.close();
    },
  };
}
