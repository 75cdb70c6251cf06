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
      // Only the POST route exists here (a backend's GET preflight, e.g. TEI's /info, sees a 404).
      if (req.method !== 'POST') {
        req.resume();
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
        return;
      }
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

/** What the OpenAI-style fake answers: HTTP 200 with this content, or an error status. */
export type OpenAiFakeMode = { kind: 'ok' } | { kind: 'status'; status: number };

export interface OpenAiFakeOptions {
  /** The key it requires: `Authorization: Bearer <key>`, or the key as is in `keyHeader` (Azure's `api-key`). */
  key: string;
  keyHeader?: string;
  /** The one request path (with its query) it serves, e.g. `/v1/chat/completions`; any other is 404. */
  path: string;
  /** The answer's content, given the responses the judge was shown as Response 1 and Response 2. */
  content: (first: string, second: string) => string;
  /** `finish_reason` of the answers (default "stop"). */
  finishReason?: string;
}

export interface OpenAiFake {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** origin + the served path. */
  endpoint: string;
  mode: OpenAiFakeMode;
  /** Every request, refused ones included. */
  requests: { path: string; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }[];
  /** Requests answered 200. */
  answered: number;
  close(): Promise<void>;
}

/** A model name the fake treats as a reasoning model: it refuses `max_tokens` and a temperature other than 1, as OpenAI's API does. */
export const isReasoningModel = (model: unknown): boolean => typeof model === 'string' && /^(o\d|reasoning)/.test(model);

const openAiError = (message: string, type: string, param: string | null, code: string | null) =>
  JSON.stringify({ error: { message, type, param, code } });

/**
 * A local stand-in for an OpenAI-compatible chat-completions server that behaves as the upstream API
 * does where the judge depends on it: a missing key is 401 ("You didn't provide an API key", code
 * null), a wrong key 401 (code invalid_api_key; this fake echoes the whole key it got, where the
 * upstream API masks most of it, so the tests can check the client redacts it), another path 404,
 * `max_tokens` or a temperature other than 1 for a reasoning model 400 (unsupported_parameter /
 * unsupported_value), and every error in the `{"error": {message, type, param, code}}` shape.
 */
export async function startOpenAiFake(o: OpenAiFakeOptions): Promise<OpenAiFake> {
  const state = { mode: { kind: 'ok' } as OpenAiFakeMode, requests: [] as OpenAiFake['requests'], answered: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // answered below as a bad request
      }
      state.requests.push({ path: req.url ?? '', headers: { ...req.headers }, body });
      const send = (status: number, text: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      if (req.method !== 'POST' || req.url !== o.path)
        return send(404, openAiError(`Invalid URL (${req.method} ${req.url})`, 'invalid_request_error', null, null));
      const header = req.headers[o.keyHeader ?? 'authorization'];
      const given = typeof header !== 'string' ? undefined : o.keyHeader === undefined ? /^Bearer (.+)$/.exec(header)?.[1] : header;
      if (given === undefined)
        return send(
          401,
          openAiError(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            'invalid_request_error',
            null,
            null,
          ),
        );
      if (given !== o.key)
        return send(401, openAiError(`Incorrect API key provided: ${given}.`, 'invalid_request_error', null, 'invalid_api_key'));
      if (state.mode.kind === 'status') return send(state.mode.status, openAiError('The server had an error', 'server_error', null, null));
      if (isReasoningModel(body.model) && body.max_tokens !== undefined)
        return send(
          400,
          openAiError(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            'invalid_request_error',
            'max_tokens',
            'unsupported_parameter',
          ),
        );
      if (isReasoningModel(body.model) && body.temperature !== undefined && body.temperature !== 1)
        return send(
          400,
          openAiError(
            `Unsupported value: 'temperature' does not support ${String(body.temperature)} with this model. Only the default (1) value is supported.`,
            'invalid_request_error',
            'temperature',
            'unsupported_value',
          ),
        );
      const user = (body.messages as { role: string; content: string }[] | undefined)?.find((m) => m.role === 'user')?.content ?? '';
      const first = /\[Response 1\]\n([\s\S]*?)\n\n\[Response 2\]/.exec(user)?.[1] ?? '';
      const second = /\[Response 2\]\n([\s\S]*?)\n\nWhich response/.exec(user)?.[1] ?? '';
      state.answered++;
      send(
        200,
        JSON.stringify({
          id: `chatcmpl-${state.answered}`,
          object: 'chat.completion',
          model: body.model,
          choices: [
            { index: 0, message: { role: 'assistant', content: o.content(first, second) }, finish_reason: o.finishReason ?? 'stop' },
          ],
        }),
      );
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    origin,
    endpoint: `${origin}${o.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Markdown verdicts as judges write them, one form per call in turn: bold, "because …" after it, a fenced block, inline code. */
export function markdownVerdict(v: '1' | '2' | 'TIE', i: number): string {
  const forms = [
    `The first response answers the question directly.\n\n**Verdict:** [[${v}]]`,
    `[[${v}]] because it is more complete; the other one misses a step.`,
    `Comparing both:\n- accuracy\n- helpfulness\n\n\`\`\`\n[[${v}]]\n\`\`\``,
    `Final answer: \`[[${v}]]\` (I am fairly confident).`,
  ];
  return forms[i % forms.length]!;
}
