/**
 * Local fake RM servers for the scorer tests (node:http on 127.0.0.1, an ephemeral port): an
 * OpenRLHF remote RM, a TEI /predict server and an OpenAI-compatible chat server, each with a
 * `mode` the test switches (ok, 503, slow, garbage, down) and a log of what it received.
 * Not a test file.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The reward the fake pointwise RMs give a text: deterministic, distinct per text. */
export function fakeReward(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return (h % 10_000) / 1000 - 5;
}

export type Mode =
  { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'slow'; ms: number } | { kind: 'garbage'; body: string } | { kind: 'hang' };

export interface FakeServer {
  url: string;
  port: number;
  mode: Mode;
  /** Failures to give before answering normally (each one with `failWith`). */
  failNext: number;
  failWith: Mode;
  /** Parsed request bodies, in arrival order. */
  bodies: unknown[];
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startFake(answer: (body: unknown) => unknown, port = 0): Promise<FakeServer> {
  const state = {
    mode: { kind: 'ok' } as Mode,
    failNext: 0,
    failWith: { kind: 'status', status: 503 } as Mode,
    bodies: [] as unknown[],
    inFlight: 0,
    maxInFlight: 0,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        const body = await readBody(req);
        state.bodies.push(body);
        let mode = state.mode;
        if (state.failNext > 0) {
          state.failNext--;
          mode = state.failWith;
        }
        if (mode.kind === 'hang') return; // never answers; the client's timeout must fire
        if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.ms));
        if (mode.kind === 'status') {
          res.writeHead(mode.status).end('{"error":"down"}');
          return;
        }
        if (mode.kind === 'garbage') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(mode.body);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body)));
      } finally {
        state.inFlight--;
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const p = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${p}`,
    port: p,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export const openrlhfAnswer = (body: unknown): unknown => ({ rewards: (body as { query: string[] }).query.map(fakeReward), scores: [] });
export const teiAnswer = (body: unknown): unknown =>
  (body as { inputs: [string, string][] }).inputs.map(([q, r]) => [{ score: fakeReward(`${q}\n${r}`), label: 'LABEL_0' }]);

/** A chat judge that prefers the longer response, answering in the strict format. */
export const chatAnswer =
  (verdictOf: (first: string, second: string) => string) =>
  (body: unknown): unknown => {
    const user = (body as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === 'user')!.content;
    const first = /\[Response 1\]\n([\s\S]*?)\n\n\[Response 2\]/.exec(user)![1]!;
    const second = /\[Response 2\]\n([\s\S]*?)\n\nWhich response/.exec(user)![1]!;
    return {
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: verdictOf(first, second) }, finish_reason: 'stop' }],
    };
  };
