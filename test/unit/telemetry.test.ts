// Tracing changes no record's value: the same seed with tracing on (exporting to a local OTLP/HTTP
// receiver) and off writes byte-identical values on every topic; off, no record has trace headers
// and no span exists. The per-record span wrapper ends every span, in order, and fails the ones a
// stopped pipeline leaves open. When tracing is on, and when it is not. The apps reach tracing only
// through diagnostics channels (src/telemetry/channels.ts): shutting tracing down leaves none
// subscribed, and a send's records get their trace context before they are sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, map, throwError, concatMap, of, type OperatorFunction } from 'rxjs';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import type { BusRecord } from '../../src/bus/types.ts';
import type { RecordOutput } from '../../src/operators/processBatches.ts';
import { traceRecords, type RecordTracer } from '../../src/operators/traceRecords.ts';
import { topicName } from '../../src/records/topics.ts';
import { createNoopMeter, metrics, trace } from '@opentelemetry/api';
import { core, tracing } from '@opentelemetry/sdk-node';
import { processChannel, sendChannel, decisionsChannel, deltasChannel, sendTraced } from '../../src/telemetry/channels.ts';
import { brokerServer } from '../../src/telemetry/telemetry.ts';
import { meterBus } from '../../src/telemetry/bus.ts';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import {
  appResource,
  grpcExporter,
  otlpProtocol,
  signalExport,
  startTelemetry,
  subscribeTelemetry,
  Telemetry,
  tracingWanted,
} from '../../src/telemetry/index.ts';
import type { OutRecord } from '../../src/bus/types.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { startOtlpReceiver } from '../helpers/otlpReceiver.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const TOPICS = ['generations', 'decisions', 'scores', 'labels', 'feedback', 'posterior-deltas', 'posteriors'] as const;

async function loop() {
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  const s = testSettings();
  try {
    await runLoop({ bus, settings: s, batches: 3, clock, log: quietLog });
    const out = new Map<string, BusRecord[]>();
    for (const t of TOPICS) out.set(t, await bus.readToEnd(topicName(s.prefix, t)));
    return out;
  } finally {
    await bus.close();
  }
}

/** Whether each of the apps' channels has a listener. */
const subscribed = () =>
  [processChannel.start, sendChannel.start, sendChannel.asyncEnd, decisionsChannel, deltasChannel.start].map((c) => c.hasSubscribers);

const record = (offset: number): BusRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: null,
  value: Buffer.from([offset]),
  headers: {},
  timestamp: '0',
});

function fakeTracer() {
  const events: string[] = [];
  const tracer: RecordTracer = {
    start: (r) => {
      events.push(`start ${r.offset}`);
      return {
        finish: (o) => {
          events.push(`finish ${o.record.offset}`);
          return o;
        },
        fail: (err) => {
          events.push(`fail ${r.offset}: ${String(err)}`);
        },
      };
    },
  };
  return { tracer, events };
}

describe('telemetry', () => {
  it('tracing on changes no value on any topic; off leaves no trace header; it listens to the channels only while on', async () => {
    assert.deepEqual(subscribed(), [false, false, false, false, false]);
    const receiver = await startOtlpReceiver();
    const otel = startTelemetry({ serviceName: 'rr-unit', endpoint: receiver.url, protocol: 'http/json' });
    assert.ok(otel !== null);
    try {
      assert.deepEqual(subscribed(), [true, true, true, true, true]);
      otel.unsubscribe();
      assert.deepEqual(subscribed(), [false, false, false, false, false]);
      otel.subscribe();
      const on = await loop();
      await otel.shutdown(); // unsubscribes: the next loop is untraced
      assert.deepEqual(subscribed(), [false, false, false, false, false]);
      otel.subscribe();
      assert.deepEqual(subscribed(), [false, false, false, false, false], 'a stopped SDK listens no more');
      const off = await loop();
      for (const t of TOPICS) {
        const a = on.get(t)!;
        const b = off.get(t)!;
        assert.ok(a.length > 0, t);
        assert.equal(a.length, b.length, t);
        a.forEach((r, i) => assert.ok(r.value!.equals(b[i]!.value!), `${t}[${i}] differs with tracing on`));
        assert.ok(
          a.every((r) => r.headers.traceparent !== undefined),
          `${t}: on, every record carries trace context`,
        );
        assert.ok(
          b.every((r) => Object.keys(r.headers).length === 0),
          `${t}: off, no headers`,
        );
      }
      const routes = receiver.spans.filter((s) => s.name === 'route pair');
      const pairs = new Set(routes.map((s) => s.attributes['rr.pair.id']));
      assert.equal(routes.length, pairs.size, 'one route span per pair');
      assert.ok(
        receiver.spans.every((s) => (s.status.code ?? 0) === 0),
        'no failed span',
      );
    } finally {
      await receiver.close();
    }
  });

  it("a send's records carry its context when they are sent; its span ends after the send; untraced, no header and no message", async () => {
    const exporter = new tracing.InMemorySpanExporter();
    const provider = new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
    const tel = new Telemetry({
      tracer: provider.getTracer('t'),
      meter: createNoopMeter(),
      propagator: new core.W3CTraceContextPropagator(),
    });
    const seen: string[] = [];
    const endedBefore: number[] = [];
    const producer = {
      send: async (rs: OutRecord[]) => {
        seen.push(...rs.map((r) => r.headers?.traceparent?.toString() ?? 'none'));
        endedBefore.push(exporter.getFinishedSpans().length);
      },
    };
    const unsubscribe = subscribeTelemetry(tel);
    try {
      const records: OutRecord[] = [
        { topic: 't', key: null, value: Buffer.from('a') },
        { topic: 't', key: null, value: Buffer.from('b') },
      ];
      await sendTraced(producer, 'test', records, () => [
        { topic: 't', from: 0, to: 1, batch: 7 },
        { topic: 't', from: 1, to: 2, feedbackKind: 'BATCH_END' },
      ]);
      assert.deepEqual(endedBefore, [0], 'the spans are open while the send runs');
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((sp) => sp.name),
        ['send t', 'send t'],
      );
      assert.deepEqual(
        seen,
        spans.map((sp) => `00-${sp.spanContext().traceId}-${sp.spanContext().spanId}-01`),
      );
      assert.equal(spans[0]!.attributes['rr.batch'], 7);
      assert.equal(spans[1]!.attributes['rr.feedback.kind'], 'BATCH_END');
      assert.equal(spans[0]!.attributes['rr.stage'], 'test');
    } finally {
      unsubscribe();
    }
    await sendTraced(producer, 'test', [{ topic: 't', key: null, value: Buffer.from('c') }], () =>
      assert.fail('no span is described when nothing traces'),
    );
    assert.equal(seen[2], 'none');
    await provider.shutdown();
  });

  it('is off unless an endpoint is set, and OTEL_SDK_DISABLED wins', () => {
    assert.equal(tracingWanted({ env: {} }), false);
    assert.equal(startTelemetry({ serviceName: 'x', env: {} }), null);
    assert.equal(tracingWanted({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } }), true);
    assert.equal(tracingWanted({ env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' } }), true);
    assert.equal(tracingWanted({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' } }), false);
    assert.equal(tracingWanted({ endpoint: 'http://127.0.0.1:4318', env: {} }), true);
  });

  it('exports OTLP/HTTP as protobuf by default or JSON, or gRPC; protocol per signal; anything else is a typed error', () => {
    assert.equal(otlpProtocol({ env: {} }), 'http/protobuf');
    assert.equal(otlpProtocol({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } }), 'http/json');
    const mixed = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' };
    assert.equal(otlpProtocol({ env: mixed }), 'http/protobuf');
    assert.equal(otlpProtocol({ env: mixed }, 'metrics'), 'http/json');
    assert.equal(otlpProtocol({ env: { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' } }, 'metrics'), 'grpc');
    assert.throws(
      () => otlpProtocol({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' } }),
      (e: unknown) => (e as { code?: string }).code === 'RR_INVALID_CONFIG' && /thrift/.test(String(e)),
    );
    // The gRPC exporters load from the SDK's own dependencies; a missing one is a typed error naming it.
    assert.equal(typeof grpcExporter('@opentelemetry/exporter-trace-otlp-grpc', 'f'), 'function');
    assert.equal(typeof grpcExporter('@opentelemetry/exporter-metrics-otlp-grpc', 'f'), 'function');
    assert.throws(
      () => grpcExporter('@opentelemetry/exporter-nothing-otlp-grpc', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
      (e: unknown) => (e as { code?: string }).code === 'RR_INVALID_CONFIG' && /@opentelemetry\/exporter-nothing-otlp-grpc/.test(String(e)),
    );
  });

  it('each signal goes to its own endpoint as the OTLP exporter spec says; OTEL_<SIGNAL>_EXPORTER=none turns it off', () => {
    const base = 'http://collector:4318/';
    assert.deepEqual(signalExport('traces', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base } }), {
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
    });
    assert.deepEqual(signalExport('metrics', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base } })?.url, 'http://collector:4318/v1/metrics');
    const both = {
      OTEL_EXPORTER_OTLP_ENDPOINT: base,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/custom',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://metrics.example:443/otlp/v1/metrics',
    };
    assert.equal(signalExport('traces', { env: both })?.url, 'http://jaeger:4318/custom', 'a signal endpoint is used as is');
    assert.equal(signalExport('metrics', { env: both })?.url, 'https://metrics.example:443/otlp/v1/metrics');
    // Only a traces endpoint: metrics are not sent to it, nor to a default nobody asked for.
    assert.equal(signalExport('metrics', { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' } }), null);
    assert.equal(signalExport('metrics', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_METRICS_EXPORTER: 'none' } }), null);
    assert.equal(
      signalExport('traces', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_TRACES_EXPORTER: 'otlp' } })?.url,
      `${base}v1/traces`.replace('//v1', '/v1'),
    );
    assert.deepEqual(
      signalExport('traces', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }),
      {
        url: 'http://collector:4317',
        protocol: 'grpc',
      },
    );
    const off = { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none' };
    assert.equal(tracingWanted({ env: off }), false);
    assert.equal(startTelemetry({ serviceName: 'x', env: off }), null);
    // Without an endpoint, telemetry is off and the other variables are not looked at.
    assert.equal(tracingWanted({ env: { OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' } }), false);
    assert.throws(
      () => signalExport('metrics', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_METRICS_EXPORTER: 'prometheus' } }),
      (e: unknown) => (e as { code?: string }).code === 'RR_INVALID_CONFIG' && /OTEL_METRICS_EXPORTER/.test(String(e)),
    );
  });

  it('metrics off: no request to a metrics path and nothing logged; separate endpoints: each signal where it is told', async () => {
    const a = await startOtlpReceiver();
    const b = await startOtlpReceiver();
    const warnings: string[] = [];
    try {
      const off = startTelemetry({
        serviceName: 'rr-unit',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: a.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none' },
        metricIntervalMs: 50,
        warn: (m) => warnings.push(m),
      });
      assert.ok(off !== null);
      assert.equal(off.signals.metrics, null);
      metrics.getMeter('t').createCounter('rr.test').add(1);
      trace.getTracer('t').startSpan('s').end();
      await new Promise((r) => setTimeout(r, 200));
      await off.shutdown();
      assert.deepEqual([...a.requests.keys()], ['/v1/traces']);
      assert.equal(warnings.join('\n'), '');

      const split = startTelemetry({
        serviceName: 'rr-unit',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${a.url}/traces-here`,
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${b.url}/metrics-here`,
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        },
        metricIntervalMs: 50,
        warn: (m) => warnings.push(m),
      });
      assert.ok(split !== null);
      metrics.getMeter('t').createCounter('rr.test').add(1);
      trace.getTracer('t').startSpan('s').end();
      await split.shutdown();
      assert.deepEqual([...a.requests.keys()].sort(), ['/traces-here', '/v1/traces']);
      assert.deepEqual([...b.requests.keys()], ['/metrics-here'], 'metrics (protobuf) where told, traces not');
      assert.equal(warnings.join('\n'), '');

      // gRPC: the exporters are installed (the SDK's own dependencies), so it starts and stops.
      const grpc = startTelemetry({
        serviceName: 'rr-unit',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_METRICS_EXPORTER: 'none' },
        warn: (m) => warnings.push(m),
      });
      assert.deepEqual(grpc?.signals, { traces: { url: 'http://127.0.0.1:9', protocol: 'grpc' }, metrics: null });
      await grpc.shutdown();
      assert.equal(warnings.join('\n'), '');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("messaging metrics carry messaging.system and messaging.operation.name; spans and metrics the broker's server.address/port", async () => {
    assert.deepEqual(brokerServer(['kafka-0.kafka:9092']), { 'server.address': 'kafka-0.kafka', 'server.port': 9092 });
    assert.deepEqual(brokerServer(['[::1]:19092']), { 'server.address': '::1', 'server.port': 19092 });
    assert.deepEqual(brokerServer(['kafka']), { 'server.address': 'kafka' });
    assert.deepEqual(brokerServer(['a:9092', 'b:9092']), {}, 'several: which one a record went to is not known here');
    assert.deepEqual(brokerServer(undefined), {});

    const receiver = await startOtlpReceiver();
    const otel = startTelemetry({
      serviceName: 'rr-unit',
      endpoint: receiver.url,
      protocol: 'http/json',
      brokers: ['kafka.example:9093'],
      metricIntervalMs: 60_000,
    });
    assert.ok(otel !== null);
    const clock = counterClock();
    const s = testSettings();
    const bus = meterBus(createMemoryBus({ clock }), otel.telemetry, {
      app: 'loop',
      codec: new SingleObjectCodec(),
      dlqTopic: topicName(s.prefix, 'dlq'),
    });
    try {
      await runLoop({ bus, settings: s, batches: 2, clock, log: quietLog });
      await otel.shutdown();
      const messaging = receiver.spans.filter((x) => x.name.startsWith('send ') || x.name.startsWith('process '));
      assert.ok(messaging.length > 0);
      for (const x of messaging) {
        assert.equal(x.attributes['server.address'], 'kafka.example', x.name);
        assert.equal(x.attributes['server.port'], 9093, x.name);
        assert.equal(x.attributes['messaging.system'], 'kafka', x.name);
      }
      const points = receiver.points.filter((p) => p.name.startsWith('messaging.'));
      const names = new Set(points.map((p) => p.name));
      for (const n of ['messaging.client.consumed.messages', 'messaging.client.sent.messages', 'messaging.kafka.consumer.lag'])
        assert.ok(names.has(n), `${n} exported: ${[...names].join(', ')}`);
      for (const p of points) {
        assert.equal(p.attributes['messaging.system'], 'kafka', p.name);
        assert.equal(p.attributes['server.address'], 'kafka.example', p.name);
        assert.equal(p.attributes['server.port'], 9093, p.name);
      }
      const op = (n: string) => new Set(points.filter((p) => p.name === n).map((p) => p.attributes['messaging.operation.name']));
      assert.deepEqual([...op('messaging.client.consumed.messages')], ['receive']);
      assert.deepEqual([...op('messaging.client.sent.messages')], ['send']);
    } finally {
      await bus.close();
      await receiver.close();
    }
  });

  it('one service.name per app (every scorer reward-router-scorer), rr.rm and a service.instance.id per process; OTEL_SERVICE_NAME wins', async () => {
    assert.deepEqual(appResource('router'), { serviceName: 'reward-router-router' });
    assert.deepEqual(appResource('scorer', 'rm-a'), { serviceName: 'reward-router-scorer', resource: { 'rr.rm': 'rm-a' } });
    assert.deepEqual(appResource('scorer:rm-b'), { serviceName: 'reward-router-scorer', resource: { 'rr.rm': 'rm-b' } });
    const receiver = await startOtlpReceiver();
    try {
      const run = async (o: ReturnType<typeof appResource>, env: NodeJS.ProcessEnv = {}) => {
        const otel = startTelemetry({
          ...o,
          env: {
            OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
            OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
            OTEL_METRICS_EXPORTER: 'none',
            ...env,
          },
        });
        assert.ok(otel !== null);
        trace.getTracer('t').startSpan('s').end();
        await otel.shutdown();
      };
      await run(appResource('scorer', 'rm-a'));
      await run(appResource('scorer:rm-b'));
      await run(appResource('scorer', 'rm-a'));
      await run(appResource('labeler'), { OTEL_SERVICE_NAME: 'my-labeler' });
      const res = receiver.spans.map((x) => x.resource);
      assert.equal(res.length, 4);
      assert.deepEqual(
        res.map((r) => [r['service.name'], r['rr.rm']]),
        [
          ['reward-router-scorer', 'rm-a'],
          ['reward-router-scorer', 'rm-b'],
          ['reward-router-scorer', 'rm-a'],
          ['my-labeler', undefined],
        ],
      );
      const ids = res.map((r) => String(r['service.instance.id']));
      assert.ok(
        ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
        ids.join(),
      );
      assert.equal(new Set(ids).size, 4, 'one service.instance.id per process, two replicas of one RM included');
      assert.equal(res[0]!['telemetry.sdk.name'], 'opentelemetry', "the SDK's default resource kept");
    } finally {
      await receiver.close();
    }
  });

  it("router, scorers and labeler give what they produce a create span: a consumer's parent is the producer's span, not its consumer span", async () => {
    const receiver = await startOtlpReceiver();
    const otel = startTelemetry({ serviceName: 'rr-unit', endpoint: receiver.url, protocol: 'http/json', metricIntervalMs: 60_000 });
    assert.ok(otel !== null);
    try {
      await loop();
      await otel.shutdown();
      const byId = new Map(receiver.spans.map((x) => [x.spanId, x]));
      const s = testSettings();
      const checked = new Map<string, number>();
      for (const [consumed, producer] of [
        [topicName(s.prefix, 'scores'), /^scorer\./],
        [topicName(s.prefix, 'labels'), /^labeler$/],
      ] as const) {
        const consumers = receiver.spans.filter((x) => x.name === `process ${consumed}`);
        assert.ok(consumers.length > 0, consumed);
        for (const c of consumers) {
          const parent = byId.get(c.parentSpanId);
          assert.ok(parent, `${c.name}: parent exported`);
          assert.equal(parent.name, `create ${consumed}`);
          assert.equal(parent.kind, 4, 'PRODUCER');
          assert.equal(parent.attributes['messaging.operation.type'], 'create');
          assert.match(String(parent.attributes['rr.stage']), producer);
          const grand = byId.get(parent.parentSpanId);
          assert.ok(
            grand !== undefined && grand.name.startsWith('process '),
            `a create span's parent is its stage's process span, got ${grand?.name}`,
          );
          assert.equal(grand.attributes['rr.stage'], parent.attributes['rr.stage']);
        }
        checked.set(consumed, consumers.length);
      }
      // The scorers' requests: the router's create span of each request topic.
      const requests = receiver.spans.filter(
        (x) => x.name.startsWith('process ') && String(x.attributes['rr.stage']).startsWith('scorer.'),
      );
      assert.ok(requests.length > 0);
      for (const c of requests) {
        const parent = byId.get(c.parentSpanId)!;
        assert.equal(parent.name, c.name.replace(/^process /, 'create '));
        assert.equal(parent.attributes['rr.stage'], 'router');
      }
      assert.ok(
        receiver.spans.every((x) => !x.name.startsWith('create ') || x.attributes['rr.stage'] !== 'store'),
        "the store's snapshot still carries its process span (it covers the transaction)",
      );
    } finally {
      await receiver.close();
    }
  });

  it('wraps a stage pipeline: one span per record, finished in order with its own output', async () => {
    const { tracer, events } = fakeTracer();
    const inner: OperatorFunction<BusRecord, RecordOutput> = map((r) => ({ record: r, out: [] }));
    const input = new Subject<BusRecord>();
    const seen: string[] = [];
    input.pipe(traceRecords(tracer, inner)).subscribe((o) => seen.push(o.record.offset));
    for (const n of [0, 1, 2]) input.next(record(n));
    input.complete();
    assert.deepEqual(seen, ['0', '1', '2']);
    assert.deepEqual(events, ['start 0', 'finish 0', 'start 1', 'finish 1', 'start 2', 'finish 2']);
  });

  it('fails the spans a stopped pipeline leaves open', () => {
    const { tracer, events } = fakeTracer();
    const boom = new Error('boom');
    const inner: OperatorFunction<BusRecord, RecordOutput> = concatMap((r) =>
      r.offset === '1' ? throwError(() => boom) : of({ record: r, out: [] }),
    );
    const input = new Subject<BusRecord>();
    let error: unknown;
    input.pipe(traceRecords(tracer, inner)).subscribe({
      error: (e: unknown) => {
        error = e;
      },
    });
    input.next(record(0));
    input.next(record(1));
    assert.equal(error, boom);
    assert.deepEqual(events, ['start 0', 'finish 0', 'start 1', 'fail 1: Error: boom']);
  });
});
