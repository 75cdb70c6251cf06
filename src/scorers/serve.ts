/**
 * A small reward-model server for demos and tests: the tfjs backend behind node:http, speaking both
 * wire protocols the http backend speaks (docs/scorers.md): `POST /predict` is TEI's
 * (`{"inputs": [[prompt, response], ...]}` → `[[{"score", "label"}], ...]`), any other POST path is
 * OpenRLHF's (`{"query": [...], "prompts": [...]}` → `{"rewards": [...]}`; each query is split into
 * prompt and response by its `prompts` entry and the separator). Bad requests get HTTP 400.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TfjsBackend } from './tfjs.ts';

export interface RmServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function splitQuery(query: string, prompt: string | undefined, separator: string): { prompt: string; response: string } {
  if (prompt !== undefined && query.startsWith(prompt + separator))
    return { prompt, response: query.slice(prompt.length + separator.length) };
  return { prompt: prompt ?? '', response: query };
}

export async function serveRewardModel(model: TfjsBackend, o: { port: number; host: string; separator?: string }): Promise<RmServer> {
  const sep = o.separator ?? '\n';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        let body: { query?: unknown; prompts?: unknown; inputs?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return reply(400, { error: 'body is not JSON' });
        }
        try {
          if (req.url?.startsWith('/predict')) {
            const inputs = body.inputs;
            if (!Array.isArray(inputs) || !inputs.every((x) => Array.isArray(x) && x.length === 2 && x.every((t) => typeof t === 'string')))
              return reply(400, { error: 'inputs must be [[prompt, response], ...]' });
            const r = await model.rewards((inputs as [string, string][]).map(([prompt, response]) => ({ prompt, response })));
            return reply(
              200,
              r.map((score) => [{ score, label: 'LABEL_0' }]),
            );
          }
          const q = body.query;
          const prompts = Array.isArray(body.prompts) ? (body.prompts as unknown[]) : [];
          if (!Array.isArray(q) || !q.every((t) => typeof t === 'string'))
            return reply(400, { error: 'query must be an array of strings' });
          const r = await model.rewards(
            (q as string[]).map((t, i) => splitQuery(t, typeof prompts[i] === 'string' ? (prompts[i] as string) : undefined, sep)),
          );
          return reply(200, { rewards: r });
        } catch (e) {
          return reply(500, { error: (e as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address}:${a.port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
