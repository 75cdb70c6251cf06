/**
 * The health and metrics HTTP endpoint of an app (node:http): GET /healthz (the process is
 * alive and its pipeline has not failed: the liveness probe), GET /readyz (200 when ready, 503 with
 * the reasons otherwise: the readiness probe), GET /metrics (Prometheus text format).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppMetrics } from './metrics.ts';
import type { Readiness } from './readiness.ts';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  /** 0 = any free port (tests); the CLI leaves the server off unless a port is given. */
  port: number;
  host?: string;
  metrics: AppMetrics;
  readiness: Readiness;
  /** False once the app's pipeline has failed: /healthz answers 503 so Kubernetes restarts the pod. */
  live?: () => boolean;
}

export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const fail = (err: unknown) => reply(500, 'text/plain', `error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (req.method !== 'GET') return reply(405, 'text/plain', 'GET only\n');
    if (path === '/healthz') {
      const live = o.live?.() ?? true;
      return reply(live ? 200 : 503, 'application/json', JSON.stringify({ live }) + '\n');
    }
    if (path === '/readyz') {
      o.readiness.check().then((s) => reply(s.ready ? 200 : 503, 'application/json', JSON.stringify(s) + '\n'), fail);
      return;
    }
    if (path === '/metrics') {
      // Lag and the app's stats are refreshed by a readiness check, so a scrape always shows current values.
      o.readiness
        .check()
        .then(() => o.metrics.registry.metrics())
        .then((text) => reply(200, o.metrics.registry.contentType, text), fail);
      return;
    }
    reply(404, 'text/plain', 'not found: /healthz, /readyz, /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
