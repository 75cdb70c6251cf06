// mTLS to an https RM: the `tls` files (CA bundle, client certificate and key) are read once when
// the backend is made and handed to its https agent; an RM server that requires a client
// certificate scores through it, and refuses a backend without one (the preflight says so, as a
// fatal RR_RM, instead of a stream of unscored pairs). The certificates are made for the test with
// the openssl command (skipped when it is missing).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { isFailure } from '../../src/scorers/types.ts';
import { fakeReward } from '../helpers/fakeRm.ts';
import { backendFrom } from '../helpers/scoreThrough.ts';

const dir = mkdtempSync(join(tmpdir(), 'rr-mtls-'));
const f = (name: string) => join(dir, name);
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}
let haveOpenssl = true;
try {
  openssl('version');
} catch {
  haveOpenssl = false;
}

let server: Server;
let url = '';
before(async () => {
  if (!haveOpenssl) return;
  const days = ['-days', '3650'];
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=rr test CA', ...days);
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=rr test ${who}`);
    const ext = who === 'server' ? 'subjectAltName=IP:127.0.0.1' : 'extendedKeyUsage=clientAuth';
    writeFileSync(f(`${who}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.crt`),
      '-extfile',
      f(`${who}.ext`),
      ...days,
    );
  }
  server = createServer(
    {
      key: readFileSync(f('server.key')),
      cert: readFileSync(f('server.crt')),
      ca: readFileSync(f('ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'GET') return void res.writeHead(404).end();
        const q = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string[] }).query;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rewards: q.map(fakeReward) }));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/get_reward`;
});
after(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  rmSync(dir, { recursive: true, force: true });
});

const pair = { pairId: 'p', prompt: 'Q', messages: [], responseA: 'a', responseB: 'b' };

describe('mTLS', { skip: haveOpenssl ? false : 'the openssl command is not installed' }, () => {
  it('with caFile, certFile and keyFile the https RM scores', async () => {
    const { backend } = await backendFrom({
      backend: 'http',
      protocol: 'openrlhf',
      url,
      tls: { caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') },
    });
    const [r] = await backend.scorePairs([pair]);
    assert.ok(!isFailure(r!), JSON.stringify(r));
    assert.equal(r.scoreA, fakeReward('Q\na'));
    await backend.close?.();
  });

  it('without the client certificate the server refuses: the pairs are unscored, and a preflight is a fatal RR_RM naming tls', async () => {
    const { backend } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url, retries: 0, tls: { caFile: f('ca.crt') } });
    const [r] = await backend.scorePairs([pair]);
    assert.ok(isFailure(r!));
    const tei = await backendFrom({ backend: 'http', protocol: 'tei', url, tls: { caFile: f('ca.crt') } });
    await assert.rejects(tei.backend.preflight!(), (e: unknown) => isRouterError(e, 'RR_RM') && /check its url and tls/.test(String(e)));
    await backend.close?.();
    await tei.backend.close?.();
  });

  it('a server certificate not signed by the given CA is refused as well', async () => {
    const { backend } = await backendFrom({
      backend: 'http',
      protocol: 'tei',
      url,
      tls: { caFile: f('client.crt'), certFile: f('client.crt'), keyFile: f('client.key') },
    });
    await assert.rejects(backend.preflight!(), (e: unknown) => isRouterError(e, 'RR_RM') && /tls/.test(String(e)));
    await backend.close?.();
  });
});
