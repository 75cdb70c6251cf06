// Tracing changes no record's value: the same seed with tracing on (exporting to a local OTLP/HTTP
// receiver) and off writes byte-identical values on every topic; off, no record has trace headers
// and no span exists. The per-record span wrapper ends every span, in order, and fails the ones a
// stopped pipeline leaves open. When tracing is on, and when it is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, map, throwError, concatMap, of, type OperatorFunction } from 'rxjs';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import type { BusRecord } from '../../src/bus/types.ts';
import type { RecordOutput } from '../../src/operators/processBatches.ts';
import { traceRecords, type RecordTracer } from '../../src/operators/traceRecords.ts';
import { topicName } from '../../src/records/topics.ts';
import { otlpProtocol, startTelemetry, tracingWanted } from '../../src/telemetry/index.ts';
import type { Telemetry } from '../../src/telemetry/telemetry.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { startOtlpReceiver } from '../helpers/otlpReceiver.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const TOPICS = ['generations', 'decisions', 'scores', 'labels', 'feedback', 'posterior-deltas', 'posteriors'] as const;

async function loop(telemetry?: Telemetry) {
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  const s = testSettings();
  try {
    await runLoop({ bus, settings: s, batches: 3, clock, log: quietLog, ...(telemetry ? { telemetry } : {}) });
    const out = new Map<string, BusRecord[]>();
    for (const t of TOPICS) out.set(t, await bus.readToEnd(topicName(s.prefix, t)));
    return out;
  } finally {
    await bus.close();
  }
}

const record = (offset: number): BusRecord => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from([offset]), headers: {}, timestamp: '0' });

function fakeTracer() {
  const events: string[] = [];
  const tracer: RecordTracer = {
    start: (r) => {
      events.push(`start ${r.offset}`);
      return { finish: (o) => { events.push(`finish ${o.record.offset}`); return o; }, fail: (err) => { events.push(`fail ${r.offset}: ${String(err)}`); } };
    },
  };
  return { tracer, events };
}

describe('telemetry', () => {
  it('tracing on changes no value on any topic; off leaves no trace header', async () => {
    const receiver = await startOtlpReceiver();
    const otel = startTelemetry({ serviceName: 'rr-unit', endpoint: receiver.url, protocol: 'http/json' });
    assert.ok(otel !== null);
    try {
      const on = await loop(otel.telemetry);
      const off = await loop();
      await otel.shutdown();
      for (const t of TOPICS) {
        const a = on.get(t)!;
        const b = off.get(t)!;
        assert.ok(a.length > 0, t);
        assert.equal(a.length, b.length, t);
        a.forEach((r, i) => assert.ok(r.value!.equals(b[i]!.value!), `${t}[${i}] differs with tracing on`));
        assert.ok(a.every((r) => r.headers.traceparent !== undefined), `${t}: on, every record carries trace context`);
        assert.ok(b.every((r) => Object.keys(r.headers).length === 0), `${t}: off, no headers`);
      }
      const routes = receiver.spans.filter((s) => s.name === 'route pair');
      const pairs = new Set(routes.map((s) => s.attributes['rr.pair.id']));
      assert.equal(routes.length, pairs.size, 'one route span per pair');
      assert.ok(receiver.spans.every((s) => (s.status.code ?? 0) === 0), 'no failed span');
    } finally {
      await receiver.close();
    }
  });

  it('is off unless an endpoint is set, and OTEL_SDK_DISABLED wins', () => {
    assert.equal(tracingWanted({ env: {} }), false);
    assert.equal(startTelemetry({ serviceName: 'x', env: {} }), null);
    assert.equal(tracingWanted({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } }), true);
    assert.equal(tracingWanted({ env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' } }), true);
    assert.equal(tracingWanted({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' } }), false);
    assert.equal(tracingWanted({ endpoint: 'http://127.0.0.1:4318', env: {} }), true);
  });

  it('exports OTLP/HTTP as protobuf by default or JSON; refuses gRPC with a typed error', () => {
    assert.equal(otlpProtocol({ env: {} }), 'http/protobuf');
    assert.equal(otlpProtocol({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } }), 'http/json');
    assert.equal(otlpProtocol({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' } }), 'http/protobuf');
    assert.throws(() => otlpProtocol({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }), (e: unknown) => (e as { code?: string }).code === 'RR_INVALID_CONFIG' && /grpc/.test(String(e)));
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
    const inner: OperatorFunction<BusRecord, RecordOutput> = concatMap((r) => (r.offset === '1' ? throwError(() => boom) : of({ record: r, out: [] })));
    const input = new Subject<BusRecord>();
    let error: unknown;
    input.pipe(traceRecords(tracer, inner)).subscribe({ error: (e: unknown) => { error = e; } });
    input.next(record(0));
    input.next(record(1));
    assert.equal(error, boom);
    assert.deepEqual(events, ['start 0', 'finish 0', 'start 1', 'fail 1: Error: boom']);
  });
});
