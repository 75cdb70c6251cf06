/**
 * A node:http server on 127.0.0.1 (an ephemeral port) for the RM protocol stand-ins
 * (fakeTei.ts, fakeVllm.ts, fakeOpenRlhf.ts): it logs every request (method, path, headers, raw
 * body), counts requests in flight, and can be told to give scripted replies first (`queue`: a 429
 * with a Retry-After, a 503) before the handler answers. Not a test file.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent. */
  raw: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** Send no Date header (node:http adds one unless told not to). */
  noDate?: boolean;
}

export interface LocalServer {
  url: string;
  port: number;
  received: Received[];
  /** Replies to give, in order, before the handler's (each one used once). */
  queue: Reply[];
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const text = (status: number, body: string): Reply => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

export async function startLocal(handler: (r: Received) => Reply | Promise<Reply>): Promise<LocalServer> {
  const state = { received: [] as Received[], queue: [] as Reply[], inFlight: 0, maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        try {
          const r: Received = {
            method: req.method ?? 'GET',
            path: new URL(req.url ?? '/', 'http://x').pathname,
            headers: req.headers,
            raw: Buffer.concat(chunks).toString('utf8'),
          };
          state.received.push(r);
          const reply = state.queue.shift() ?? (await handler(r));
          if (reply.noDate === true) res.sendDate = false;
          res.writeHead(reply.status, reply.headers ?? {}).end(reply.body);
        } catch (e) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`stand-in failed: ${(e as Error).message}`);
        } finally {
          state.inFlight--;
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Whitespace-separated words: the stand-ins' token count. */
export const tokens = (s: string): number => s.split(/\s+/).filter((w) => w !== '').length;

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}
