/**
 * One JSON request over node:http(s) with a keep-alive agent per RM (sockets reused across calls, at
 * most `maxSockets` open: the RM's concurrency). node:http rather than fetch: on this project's
 * 2-core machine fetch's per-call overhead cost about a fifth of the ideal throughput against a 50 ms
 * server (bench/scorer.bench.ts). Status classes map to RmCallError (its `status` set): 5xx and 429
 * retriable RM_UNAVAILABLE (with the server's `Retry-After`, seconds or an HTTP-date, as
 * `retryAfterMs`), another non-200 RM_BAD_RESPONSE (the server's own error message quoted when its
 * body has one: TEI's `error`, vLLM's `error.message` or `message`, FastAPI's `detail`), a body
 * that is not JSON RM_BAD_RESPONSE.
 *
 * An https RM may ask for a client certificate: `tls` files (CA bundle, certificate, key) are read
 * once, when the poster is made, and handed to its agent.
 *
 * Every request is published on the `rr:rm:call` tracing channel (src/telemetry/channels.ts) when
 * something traces: the subscriber opens an HTTP client span and adds `traceparent` to the headers
 * before the request is written.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { BusRecord } from '../bus/types.ts';
import { RouterError } from '../core/errors.ts';
import { traceRmCall } from '../telemetry/channels.ts';
import { RmCallError } from './resilience.ts';

/** Files of an https RM's client TLS: the CA bundle that signs the server, the client certificate and its key (PEM). */
export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** What an https agent takes from TlsFiles, read. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Reads the TLS files once (at start); a file that cannot be read is RR_INVALID_CONFIG naming it. */
export function loadTls(files: TlsFiles | undefined, field = 'tls'): TlsMaterial | undefined {
  if (files === undefined) return undefined;
  const read = (k: keyof TlsFiles): Buffer | undefined => {
    const path = files[k];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new RouterError('RR_INVALID_CONFIG', `${field}.${k}: cannot read ${path}: ${(e as Error).message}`, { field: `${field}.${k}` });
    }
  };
  return { ca: read('caFile'), cert: read('certFile'), key: read('keyFile') };
}

export interface PosterOptions {
  /** Client TLS for an https URL (loadTls). */
  tls?: TlsMaterial;
  /** The RM (the span's `rr.rm`). */
  rm?: string;
  /** The injected clock, for a Retry-After given as an HTTP-date when the reply has no Date header. */
  now?: () => number;
}

export interface PostOptions {
  /** Default POST. */
  method?: 'POST' | 'GET';
  /** The records whose pairs the call scores (the span's parent). */
  parents?: readonly BusRecord[];
}

/**
 * `Retry-After` in ms: delay-seconds, or an HTTP-date measured against the reply's own `Date`
 * (the server's clock, as RFC 9110 intends), else against `now`. Unreadable: undefined.
 */
export function retryAfterMs(value: string | undefined, date: string | undefined, now?: () => number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date (IMF-fixdate, RFC 850 or asctime) starts with the day's name.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  const ref = date !== undefined && !Number.isNaN(Date.parse(date)) ? Date.parse(date) : now?.();
  if (ref === undefined) return undefined;
  return Math.max(0, at - ref);
}

/** The server's own error message in an error body, if it has one. */
function serverMessage(text: string): string {
  try {
    const b = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown } | null;
    const e = b?.error;
    if (typeof e === 'string') return e;
    if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string')
      return (e as { message: string }).message;
    if (typeof b?.message === 'string') return b.message;
    if (b?.detail !== undefined) return typeof b.detail === 'string' ? b.detail : JSON.stringify(b.detail);
  } catch {
    // not JSON: the text itself
  }
  return text;
}

export class JsonPoster {
  readonly #agent: http.Agent;
  readonly #url: URL;
  readonly #o: PosterOptions;
  constructor(
    url: string,
    maxSockets: number,
    private readonly headers: Record<string, string> = {},
    o: PosterOptions = {},
  ) {
    this.#url = new URL(url);
    this.#o = o;
    this.#agent =
      this.#url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets, ...o.tls })
        : new http.Agent({ keepAlive: true, maxSockets });
  }

  get url(): URL {
    return this.#url;
  }

  /** POSTs `body` as JSON to the poster's URL and parses the reply. */
  post(body: unknown, signal: AbortSignal, opts: PostOptions = {}): Promise<unknown> {
    return this.request(this.#url, body, signal, opts);
  }

  /** GETs `url` (another path of the same server, e.g. TEI's /info) and parses the reply. */
  get(url: URL, signal: AbortSignal): Promise<unknown> {
    return this.request(url, undefined, signal, { method: 'GET' });
  }

  request(url: URL, body: unknown, signal: AbortSignal, opts: PostOptions = {}): Promise<unknown> {
    const method = opts.method ?? 'POST';
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { ...this.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const mod = url.protocol === 'https:' ? https : http;
    return traceRmCall({ method, url: url.href, headers, rm: this.#o.rm, parents: opts.parents }, (sendHeaders, m) => {
      return new Promise((resolve, reject) => {
        const req = mod.request(url, { method, agent: this.#agent, signal, headers: sendHeaders }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            m.status = status;
            if (status >= 500 || status === 429) {
              const wait = retryAfterMs(header(res.headers['retry-after']), header(res.headers.date), this.#o.now);
              const said = text === '' ? '' : `: ${serverMessage(text).slice(0, 160)}`;
              return reject(new RmCallError('RM_UNAVAILABLE', `HTTP ${status}${said}`, true, { status, retryAfterMs: wait }));
            }
            if (status !== 200)
              return reject(new RmCallError('RM_BAD_RESPONSE', `HTTP ${status}: ${serverMessage(text).slice(0, 200)}`, false, { status }));
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new RmCallError('RM_BAD_RESPONSE', `reply is not JSON: ${JSON.stringify(text.slice(0, 60))}`, false, { status }));
            }
          });
        });
        req.on('error', (e) => reject(signal.aborted && signal.reason instanceof RmCallError ? signal.reason : e));
        req.end(payload);
      });
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
