/**
 * A FAKE Confluent schema registry for tests: a node:http server on 127.0.0.1 that implements
 * only the calls the client library makes (config, register, schema by id). It is not
 * Confluent's registry and checks no compatibility.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fake {
  url: string;
  schemas: string[];
  calls: string[];
  close(): Promise<void>;
}

export async function fakeRegistry(): Promise<Fake> {
  const schemas: string[] = []; // id = index + 1
  const configs = new Map<string, string>();
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url}`);
      const send = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(json));
      };
      const url = req.url ?? '';
      let m: RegExpMatchArray | null;
      if ((m = url.match(/^\/config\/([^/]+)$/))) {
        const subject = decodeURIComponent(m[1]!);
        if (req.method === 'PUT') {
          const level = (JSON.parse(body) as { compatibility: string }).compatibility;
          configs.set(subject, level);
          return send(200, { compatibility: level });
        }
        const level = configs.get(subject);
        return level ? send(200, { compatibilityLevel: level }) : send(404, { error_code: 40401, message: 'Subject not found.' });
      }
      if (req.method === 'POST' && (m = url.match(/^\/subjects\/([^/]+)\/versions$/))) {
        const { schema } = JSON.parse(body) as { schema: string };
        const known = schemas.indexOf(schema);
        if (known < 0) schemas.push(schema);
        return send(200, { id: known < 0 ? schemas.length : known + 1 });
      }
      if (req.method === 'GET' && (m = url.match(/^\/schemas\/ids\/(\d+)$/))) {
        const schema = schemas[Number(m[1]) - 1];
        return schema ? send(200, { schema }) : send(404, { error_code: 40403, message: 'Schema not found' });
      }
      send(404, { error_code: 404, message: `fake registry: no route ${req.method} ${url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, schemas, calls, close: () => new Promise((r) => server.close(() => r())) };
}
