/**
 * A bus that counts what an app reads and writes, without touching the app: it wraps the bus the
 * app is given (the adapter pattern the apps already rely on). It also keeps, per partition, the
 * next offset the app will read (its commits, else the last record seen + 1): the lag and the
 * "caught up" part of readiness come from that and the end offsets.
 */
import type { RecordCodec } from '../avro/codec.ts';
import type { Bus, BusConsumer, BusProducer, BusTransaction, OutRecord, TopicPartitionOffset } from '../bus/types.ts';
import type { AppMetrics } from './metrics.ts';

export interface Positions {
  /** Full topic name → partition → next offset to read (as a bigint). */
  readonly next: Map<string, Map<number, bigint>>;
  /** Consumer groups that have joined (run() resolved) and not closed. */
  joined: number;
  /** Consumers created. */
  consumers: number;
}

export interface InstrumentOptions {
  app: string;
  metrics: AppMetrics;
  codec: RecordCodec;
  /** Full names of the dead-letter and posterior topics (records there are decoded for their reason / version). */
  dlqTopic: string;
  posteriorsTopic: string;
  deltasTopic: string;
  /** Dead-letter and posterior decoding failures (they never fail the send). */
  onError?: (err: unknown) => void;
}

export interface InstrumentedBus extends Bus {
  readonly positions: Positions;
}

export function instrumentBus(bus: Bus, o: InstrumentOptions): InstrumentedBus {
  const positions: Positions = { next: new Map(), joined: 0, consumers: 0 };
  const { metrics: m, app } = o;
  /** Receipt time of each record not yet committed, per topic-partition (offset order). */
  const pending = new Map<string, { offset: bigint; at: number }[]>();

  const setNext = (topic: string, partition: number, next: bigint) => {
    let parts = positions.next.get(topic);
    if (!parts) positions.next.set(topic, (parts = new Map()));
    if ((parts.get(partition) ?? -1n) < next) parts.set(partition, next);
  };

  const observeOut = (records: OutRecord[]) => {
    for (const r of records) {
      m.recordsOut.inc({ app, topic: r.topic });
      if (r.value === null) continue;
      const value = r.value;
      if (r.topic === o.dlqTopic) {
        o.codec.decode('dlq', value).then((d) => m.deadLetters.inc({ app, reason: d.reason }), (e: unknown) => o.onError?.(e));
      } else if (r.topic === o.posteriorsTopic) {
        o.codec.decode('posteriors', value).then((s) => m.posteriorVersion.set({ app, rm: s.rm }, s.version), (e: unknown) => o.onError?.(e));
      } else if (r.topic === o.deltasTopic) {
        o.codec.decode('posterior-deltas', value).then((d) => m.posteriorVersion.set({ app, rm: d.rm }, d.batch), (e: unknown) => o.onError?.(e));
      }
    }
  };

  const committed = (offsets: TopicPartitionOffset[]) => {
    const now = performance.now();
    for (const c of offsets) {
      const next = BigInt(c.offset);
      setNext(c.topic, c.partition, next);
      const key = `${c.topic}\u0000${c.partition}`;
      const list = pending.get(key);
      if (!list) continue;
      let i = 0;
      while (i < list.length && list[i]!.offset < next) m.latency.observe({ app }, (now - list[i++]!.at) / 1000);
      list.splice(0, i);
    }
  };

  const wrapProducer = (p: BusProducer): BusProducer => ({
    async send(records) { await p.send(records); observeOut(records); },
    async transaction(): Promise<BusTransaction> {
      const tx = await p.transaction();
      const sent: OutRecord[] = [];
      const offsets: TopicPartitionOffset[] = [];
      return {
        async send(records) { await tx.send(records); sent.push(...records); },
        async sendOffsets(groupId, offs) { await tx.sendOffsets(groupId, offs); offsets.push(...offs); },
        async commit() { await tx.commit(); observeOut(sent); committed(offsets); },
        abort: () => tx.abort(),
      };
    },
    close: () => p.close(),
  });

  const wrapConsumer = (c: BusConsumer): BusConsumer => {
    let joined = false;
    return {
      get groupId() { return c.groupId; },
      get paused() { return c.paused; },
      async run(handler) {
        await c.run(async (batch) => {
          const now = performance.now();
          const key = `${batch.topic}\u0000${batch.partition}`;
          let list = pending.get(key);
          if (!list) pending.set(key, (list = []));
          for (const r of batch.records) list.push({ offset: BigInt(r.offset), at: now });
          m.recordsIn.inc({ app, topic: batch.topic }, batch.records.length);
          const last = batch.records.at(-1);
          if (last) setNext(batch.topic, batch.partition, BigInt(last.offset) + 1n);
          await handler(batch);
        });
        joined = true;
        positions.joined++;
      },
      pause: () => c.pause(),
      resume: () => c.resume(),
      async commit(offsets) { await c.commit(offsets); committed(offsets); },
      async close() {
        if (joined) { joined = false; positions.joined--; }
        await c.close();
      },
    };
  };

  return {
    positions,
    createTopics: (specs) => bus.createTopics(specs),
    describeTopicConfig: (name) => bus.describeTopicConfig(name),
    async producer(opts) { return wrapProducer(await bus.producer(opts)); },
    async consumer(opts) { positions.consumers++; return wrapConsumer(await bus.consumer(opts)); },
    readToEnd: (topic, opts) => bus.readToEnd(topic, opts),
    endOffsets: (topic) => bus.endOffsets(topic),
    close: () => bus.close(),
  };
}
