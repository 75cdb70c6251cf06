/**
 * A bus that counts what an app reads and writes for Prometheus, without touching the app
 * (src/bus/observe.ts wraps the bus the app is given). It also keeps, per partition, the
 * next offset the app will read (its commits, else the last record seen + 1): the lag and the
 * "caught up" part of readiness come from that and the end offsets.
 */
import type { RecordCodec } from '../avro/codec.ts';
import { observeBus } from '../bus/observe.ts';
import type { Bus, OutRecord, TopicPartitionOffset } from '../bus/types.ts';
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

  const observeOut = (records: readonly OutRecord[]) => {
    for (const r of records) {
      m.recordsOut.inc({ app, topic: r.topic });
      if (r.value === null) continue;
      const value = r.value;
      if (r.topic === o.dlqTopic) {
        o.codec.decode('dlq', value).then(
          (d) => m.deadLetters.inc({ app, reason: d.reason }),
          (e: unknown) => o.onError?.(e),
        );
      } else if (r.topic === o.posteriorsTopic) {
        o.codec.decode('posteriors', value).then(
          (s) => m.posteriorVersion.set({ app, rm: s.rm }, s.version),
          (e: unknown) => o.onError?.(e),
        );
      } else if (r.topic === o.deltasTopic) {
        o.codec.decode('posterior-deltas', value).then(
          (d) => m.posteriorVersion.set({ app, rm: d.rm }, d.batch),
          (e: unknown) => o.onError?.(e),
        );
      }
    }
  };

  const committed = (offsets: readonly TopicPartitionOffset[]) => {
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

  const observed = observeBus(bus, {
    consumed(batch) {
      const now = performance.now();
      const key = `${batch.topic}\u0000${batch.partition}`;
      let list = pending.get(key);
      if (!list) pending.set(key, (list = []));
      for (const r of batch.records) list.push({ offset: BigInt(r.offset), at: now });
      m.recordsIn.inc({ app, topic: batch.topic }, batch.records.length);
      const last = batch.records.at(-1);
      if (last) setNext(batch.topic, batch.partition, BigInt(last.offset) + 1n);
    },
    sent: observeOut,
    committed,
    consumerCreated: () => {
      positions.consumers++;
    },
    consumerJoined: () => {
      positions.joined++;
    },
    consumerLeft: () => {
      positions.joined--;
    },
  });
  return { ...observed, positions };
}
