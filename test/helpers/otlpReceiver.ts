/**
 * A small OTLP/HTTP receiver for tests and the tracing bench: accepts the JSON that the OTLP/HTTP
 * exporters send to /v1/traces and /v1/metrics with `http/json` (gzip or not), answers 200, and
 * keeps the spans and metric points flattened for assertions; protobuf requests are answered and
 * counted only. A real Collector or Jaeger takes the same requests
 * (docs/tracing.md).
 */
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

export type AttrValue = string | number | boolean | AttrValue[] | undefined;

export interface ReceivedSpan {
  service: string;
  /** The attributes of the span's resource (service.name, service.instance.id, ...). */
  resource: Record<string, AttrValue>;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, AttrValue>;
  links: { traceId: string; spanId: string }[];
  status: { code?: number; message?: string };
}

export interface ReceivedPoint {
  name: string;
  attributes: Record<string, AttrValue>;
  /** Sum or gauge value; a histogram's count. */
  value: number;
  /** Histogram sum, when the point is one. */
  sum?: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttr {
  key: string;
  value: OtlpValue;
}

function value(v: OtlpValue): AttrValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attrs = (list: OtlpAttr[] | undefined): Record<string, AttrValue> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));

export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly points: ReceivedPoint[];
  /** Requests received per path. */
  readonly requests: Map<string, number>;
  /** Spans received (counted even when not kept). */
  readonly counts: { spans: number };
  close(): Promise<void>;
}

export async function startOtlpReceiver(opts: { keep?: boolean } = {}): Promise<OtlpReceiver> {
  const keep = opts.keep ?? true;
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const requests = new Map<string, number>();
  const counts = { spans: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method === 'GET' && path === '/stats') {
        res.writeHead(200).end(JSON.stringify({ ...counts, requests: Object.fromEntries(requests) }));
        return;
      }
      requests.set(path, (requests.get(path) ?? 0) + 1);
      // Protobuf (the exporters' default encoding) is accepted and counted as a request, not parsed.
      if (req.headers['content-type'] === 'application/x-protobuf') {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        return;
      }
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        if (path.endsWith('/v1/traces')) {
          const got: ReceivedSpan[] = [];
          collectSpans(json, got);
          counts.spans += got.length;
          if (keep) spans.push(...got);
        }
        if (keep && path.endsWith('/v1/metrics')) collectPoints(json, points);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('receiver has no port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    spans,
    points,
    requests,
    counts,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface ResourceSpans {
  resource?: { attributes?: OtlpAttr[] };
  scopeSpans?: { spans?: Array<Record<string, unknown>> }[];
}

function collectSpans(json: Record<string, unknown>, out: ReceivedSpan[]): void {
  for (const rs of (json.resourceSpans ?? []) as ResourceSpans[]) {
    const resource = attrs(rs.resource?.attributes);
    const service = String(resource['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          service,
          resource,
          traceId: String(s.traceId),
          spanId: String(s.spanId),
          parentSpanId: String(s.parentSpanId ?? ''),
          name: String(s.name),
          kind: Number(s.kind),
          attributes: attrs(s.attributes as OtlpAttr[]),
          links: ((s.links ?? []) as Array<{ traceId: string; spanId: string }>).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          status: (s.status ?? {}) as ReceivedSpan['status'],
        });
      }
    }
  }
}

interface OtlpPoint {
  attributes?: OtlpAttr[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  sum?: { dataPoints?: OtlpPoint[] };
  gauge?: { dataPoints?: OtlpPoint[] };
  histogram?: { dataPoints?: OtlpPoint[] };
}

function collectPoints(json: Record<string, unknown>, out: ReceivedPoint[]): void {
  for (const rm of (json.resourceMetrics ?? []) as Array<{ scopeMetrics?: { metrics?: OtlpMetric[] }[] }>) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        for (const p of m.sum?.dataPoints ?? m.gauge?.dataPoints ?? [])
          out.push({ name: m.name, attributes: attrs(p.attributes), value: Number(p.asInt ?? p.asDouble ?? 0) });
        for (const p of m.histogram?.dataPoints ?? [])
          out.push({ name: m.name, attributes: attrs(p.attributes), value: Number(p.count ?? 0), sum: p.sum });
      }
    }
  }
}
