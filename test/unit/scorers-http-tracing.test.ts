// Every request to an RM server is an HTTP client span (OpenTelemetry HTTP conventions: named by
// its method, kind client, http.request.method, server.address, server.port, url.full,
// http.response.status_code, error.type on failure), published on the rr:rm:call channel by the
// scorers' HTTP client and built by src/telemetry; the server receives the span's traceparent.
// Parent: the process span of the consumed record the pairs came from, when the pairs say; a root
// otherwise. Untraced, no header is added.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createNoopMeter, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { core, tracing } from '@opentelemetry/sdk-node';
import type { HttpPairInput } from '../../src/scorers/http.ts';
import { isFailure } from '../../src/scorers/types.ts';
import { traceRecord } from '../../src/telemetry/channels.ts';
import { subscribeTelemetry, Telemetry } from '../../src/telemetry/index.ts';
import { startTei } from '../helpers/fakeTei.ts';
import { startLocal } from '../helpers/localServer.ts';
import { backendFrom, record } from '../helpers/scoreThrough.ts';

const exporter = new tracing.InMemorySpanExporter();
const provider = new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
const tel = new Telemetry({ tracer: provider.getTracer('t'), meter: createNoopMeter(), propagator: new core.W3CTraceContextPropagator() });
let unsubscribe = (): void => {};
before(() => {
  unsubscribe = subscribeTelemetry(tel);
});
after(async () => {
  unsubscribe();
  await provider.shutdown();
});

const pair = (id = 'p'): HttpPairInput => ({ pairId: id, prompt: 'Q', messages: [], responseA: 'a', responseB: 'b' });
const traceparent = (sp: tracing.ReadableSpan) => `00-${sp.spanContext().traceId}-${sp.spanContext().spanId}-01`;

describe('RM call spans', () => {
  it('a request is a POST client span with the HTTP attributes; the server receives its traceparent; the preflight is a GET span', async () => {
    exporter.reset();
    const tei = await startTei();
    try {
      const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict` });
      await backend.preflight!();
      const [r] = await backend.scorePairs([pair()]);
      assert.ok(!isFailure(r!));
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((s) => s.name),
        ['GET', 'POST'],
      );
      const [get, post] = spans as [tracing.ReadableSpan, tracing.ReadableSpan];
      assert.equal(post.kind, SpanKind.CLIENT);
      assert.deepEqual(post.attributes, {
        'http.request.method': 'POST',
        'server.address': '127.0.0.1',
        'server.port': tei.port,
        'url.full': `${tei.url}/predict`,
        'rr.rm': 'rm-a',
        'http.response.status_code': 200,
      });
      assert.equal(post.status.code, SpanStatusCode.UNSET);
      assert.equal(post.parentSpanContext, undefined, 'no record named: a root');
      assert.equal(get.attributes['url.full'], `${tei.url}/info`);
      assert.deepEqual(
        tei.received.map((q) => q.headers.traceparent),
        [traceparent(get), traceparent(post)],
      );
    } finally {
      await tei.close();
    }
  });

  it('a failed request: error.type is the status (503), or what failed (ECONNREFUSED, timeout); the span is an error', async () => {
    exporter.reset();
    const s = await startLocal(() => ({ status: 503, body: 'busy' }));
    const slow = await startLocal(() => new Promise(() => {}));
    try {
      const a = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${s.url}/get_reward`, retries: 0 });
      await a.backend.scorePairs([pair()]);
      await s.close();
      const b = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${s.url}/get_reward`, retries: 0 });
      await b.backend.scorePairs([pair()]);
      const c = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${slow.url}/get_reward`, retries: 0, timeoutMs: 100 });
      const [r] = await c.backend.scorePairs([pair()]);
      assert.ok(isFailure(r!) && /timed out/.test(r.failure.message));
      const spans = exporter.getFinishedSpans();
      assert.deepEqual(
        spans.map((sp) => [sp.attributes['error.type'], sp.attributes['http.response.status_code'], sp.status.code]),
        [
          ['503', 503, SpanStatusCode.ERROR],
          ['ECONNREFUSED', undefined, SpanStatusCode.ERROR],
          ['timeout', undefined, SpanStatusCode.ERROR],
        ],
      );
    } finally {
      await slow.close();
    }
  });

  it("parent: the process span of the pairs' consumed record (the first one; the others linked)", async () => {
    exporter.reset();
    const tei = await startTei();
    try {
      const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict` });
      const [r1, r2] = [record(1), record(2)];
      const t1 = traceRecord('scorer.rm-a', 'g', r1)!;
      const t2 = traceRecord('scorer.rm-a', 'g', r2)!;
      const input: HttpPairInput[] = [
        { ...pair('x'), record: r1 },
        { ...pair('y'), prompt: 'Q2', record: r2 },
      ];
      await backend.scorePairs(input);
      t1.end();
      t2.end();
      const spans = exporter.getFinishedSpans();
      const post = spans.find((s) => s.name === 'POST')!;
      const [p1, p2] = [tel.spanOf(r1)!, tel.spanOf(r2)!];
      assert.equal(post.spanContext().traceId, p1.spanContext().traceId);
      assert.equal(post.parentSpanContext?.spanId, p1.spanContext().spanId);
      assert.deepEqual(
        post.links.map((l) => l.context.spanId),
        [p2.spanContext().spanId],
      );
    } finally {
      await tei.close();
    }
  });

  it('nothing subscribed: no span, no traceparent', async () => {
    unsubscribe();
    exporter.reset();
    const tei = await startTei();
    try {
      const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict` });
      await backend.scorePairs([pair()]);
      assert.equal(tei.received[0]!.headers.traceparent, undefined);
      assert.equal(exporter.getFinishedSpans().length, 0);
    } finally {
      await tei.close();
      unsubscribe = subscribeTelemetry(tel);
    }
  });
});
