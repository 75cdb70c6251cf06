/**
 * OpenTelemetry metrics of what an app reads and writes, taken at the bus (src/bus/observe.ts, the
 * adapter src/health/instrumentBus.ts also feeds Prometheus from): messages consumed and sent per
 * topic, dead letters by reason (decoded from the dead letter itself, which is where the reason
 * is), and consumer lag per partition (end offset − next offset to read, observed when metrics
 * are collected). Transactional sends count at commit: an aborted transaction sent nothing.
 */
import type { Counter, ObservableResult } from '@opentelemetry/api';
import type { RecordCodec } from '../avro/codec.ts';
import { observeBus } from '../bus/observe.ts';
import type { Bus, OutRecord } from '../bus/types.ts';
import { ATTR } from './attributes.ts';
import type { Telemetry } from './telemetry.ts';

export interface MeteredBusOptions {
  app: string;
  codec: RecordCodec;
  /** Full name of the dead-letter topic. */
  dlqTopic: string;
  /** A dead letter that does not decode (counted as UNDECODABLE, never fails the send). */
  onError?: (err: unknown) => void;
}

/**
 * The messaging metrics carry what the messaging semantic conventions require of every one of
 * them: `messaging.system` (kafka) and `messaging.operation.name` (`receive`: records delivered to
 * the app, `send`: records produced), and the broker's `server.address`/`server.port` when known.
 */
export function meterBus(bus: Bus, tel: Telemetry, o: MeteredBusOptions): Bus {
  const m = tel.meter;
  const common = { [ATTR.system]: 'kafka', ...tel.server };
  const receiving = { ...common, [ATTR.operationName]: 'receive' };
  const sending = { ...common, [ATTR.operationName]: 'send' };
  const consumed: Counter = m.createCounter('messaging.client.consumed.messages', {
    unit: '{message}',
    description: 'Records delivered to the app.',
  });
  const sent: Counter = m.createCounter('messaging.client.sent.messages', {
    unit: '{message}',
    description: 'Records produced (transactional ones once committed).',
  });
  const dead: Counter = m.createCounter('rr.dead_letters', {
    unit: '{message}',
    description: 'Records sent to the dead-letter topic, by reason code.',
  });
  /** topic → partition → next offset this app will read. */
  const next = new Map<string, Map<number, bigint>>();
  const lag = m.createObservableGauge('messaging.kafka.consumer.lag', {
    unit: '{message}',
    description: 'End offset minus the next offset to read, per partition.',
  });
  const observeLag = async (result: ObservableResult): Promise<void> => {
    for (const [topic, parts] of next) {
      const ends = await bus.endOffsets(topic).catch(() => []);
      for (const e of ends) {
        const at = parts.get(e.partition);
        if (at !== undefined)
          result.observe(Number(BigInt(e.high) - at), {
            ...common,
            [ATTR.destination]: topic,
            [ATTR.partition]: String(e.partition),
            [ATTR.stage]: o.app,
          });
      }
    }
  };
  lag.addCallback(observeLag);

  const observeOut = (records: readonly OutRecord[]): void => {
    // One add per topic per send: a metric record hashes its attributes, so not one per record.
    const perTopic = new Map<string, number>();
    for (const r of records) perTopic.set(r.topic, (perTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, n] of perTopic) sent.add(n, { ...sending, [ATTR.destination]: topic, [ATTR.stage]: o.app });
    for (const r of records) {
      if (r.topic !== o.dlqTopic || r.value === null) continue;
      o.codec.decode('dlq', r.value).then(
        (d) => dead.add(1, { [ATTR.reason]: d.reason, [ATTR.stage]: d.stage }),
        (err: unknown) => {
          dead.add(1, { [ATTR.reason]: 'UNDECODABLE', [ATTR.stage]: o.app });
          o.onError?.(err);
        },
      );
    }
  };

  return observeBus(bus, {
    consumed(batch) {
      consumed.add(batch.records.length, { ...receiving, [ATTR.destination]: batch.topic, [ATTR.stage]: o.app });
      const last = batch.records.at(-1);
      if (last !== undefined) {
        let parts = next.get(batch.topic);
        if (parts === undefined) next.set(batch.topic, (parts = new Map()));
        parts.set(batch.partition, BigInt(last.offset) + 1n);
      }
    },
    sent: observeOut,
    // A supervised app opens a bus per incarnation: the closed one stops reporting lag.
    closed: () => lag.removeCallback(observeLag),
  });
}
