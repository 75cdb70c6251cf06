// The observed bus (src/bus/observe.ts), under both the Prometheus and the OpenTelemetry metrics:
// it keeps the wrapped bus's optional capabilities (an app asking for a lease gets the real one:
// without it, active/standby would start every instance), and reports a transaction's records and
// offsets at its commit, never for an aborted one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metrics, propagation, trace } from '@opentelemetry/api';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { createMemoryBus } from '../../src/bus/memory/index.ts';
import { observeBus } from '../../src/bus/observe.ts';
import type { Bus, OutRecord, TopicPartitionOffset } from '../../src/bus/types.ts';
import { createAppMetrics, instrumentBus } from '../../src/health/index.ts';
import { meterBus } from '../../src/telemetry/bus.ts';
import { Telemetry } from '../../src/telemetry/telemetry.ts';

/** An in-process bus given the Kafka adapter's optional capabilities, recording their calls. */
function busWithCapabilities(calls: string[]): Bus {
  const bus = createMemoryBus();
  return Object.assign(bus, {
    lease: async () => {
      calls.push('lease');
      return { active: true, close: async () => {} };
    },
    deleteGroups: async (ids: string[]) => {
      calls.push(`deleteGroups ${ids.join(',')}`);
    },
    emptyGroups: async (prefix: string) => {
      calls.push(`emptyGroups ${prefix}`);
      return [];
    },
  });
}

describe('observed bus', () => {
  const codec = new SingleObjectCodec();
  const wrappers: Record<string, (b: Bus) => Bus> = {
    prometheus: (b) =>
      instrumentBus(b, {
        app: 'x',
        metrics: createAppMetrics({ processMetrics: false }),
        codec,
        dlqTopic: 'dlq',
        posteriorsTopic: 'p',
        deltasTopic: 'd',
      }),
    opentelemetry: (b) =>
      meterBus(b, new Telemetry({ tracer: trace.getTracer('t'), meter: metrics.getMeter('t'), propagator: propagation }), {
        app: 'x',
        codec,
        dlqTopic: 'dlq',
      }),
  };
  for (const [name, wrap] of Object.entries(wrappers)) {
    it(`keeps lease, deleteGroups and emptyGroups (${name} metrics)`, async () => {
      const calls: string[] = [];
      const bus = wrap(busWithCapabilities(calls));
      assert.ok(bus.lease && bus.deleteGroups && bus.emptyGroups);
      await bus.lease({ groupId: 'g', topic: 't', onChange: () => {}, onError: () => {} });
      await bus.deleteGroups(['a']);
      await bus.emptyGroups('p.');
      assert.deepEqual(calls, ['lease', 'deleteGroups a', 'emptyGroups p.']);
      await bus.close();
    });
  }

  it('leaves out what the wrapped bus lacks', async () => {
    const bus = observeBus(createMemoryBus(), {});
    assert.equal(bus.lease, undefined);
    await bus.close();
  });

  it('reports a transaction at its commit, and nothing of an aborted one', async () => {
    const sent: string[] = [];
    const committed: TopicPartitionOffset[] = [];
    const raw = createMemoryBus();
    await raw.createTopics([{ name: 't', partitions: 1 }]);
    const bus = observeBus(raw, { sent: (rs) => sent.push(...rs.map((r) => r.value!.toString())), committed: (o) => committed.push(...o) });
    const producer = await bus.producer({ transactionalId: 'tx' });
    const rec = (v: string): OutRecord => ({ topic: 't', key: null, value: Buffer.from(v) });
    const aborted = await producer.transaction();
    await aborted.send([rec('a')]);
    await aborted.abort();
    const tx = await producer.transaction();
    await tx.send([rec('b')]);
    await tx.sendOffsets('g', [{ topic: 't', partition: 0, offset: '1' }]);
    assert.deepEqual(sent, [], 'nothing before the commit');
    await tx.commit();
    assert.deepEqual(sent, ['b']);
    assert.deepEqual(committed, [{ topic: 't', partition: 0, offset: '1' }]);
    await bus.close();
  });
});
