// `reward-router run <app> --health-port N` on the real broker: the router process serves /healthz,
// /readyz (200 once it has restored its posterior replica and joined) and /metrics.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
// @ts-expect-error: plain ESM helper without types
import { freePort } from '../../deploy/kafka/kafka.mjs';
import { brokersFromEnv, uniqueName, waitFor } from '../helpers/kafka.ts';

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) => {
    if (c.exitCode !== null) r(c.exitCode);
    else c.once('exit', (code) => r(code));
  });

describe('run <app> --health-port on the real broker', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rr-health-'));
  let router: ChildProcess | undefined;
  after(async () => {
    if (router && router.exitCode === null) {
      router.kill('SIGKILL');
      await exited(router);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz, /readyz (ready after restore and join) and /metrics', async () => {
    const prefix = `${uniqueName('hc')}.`;
    const init = cli(['loop', 'init', '--out', join(dir, 'loop.json'), '--d', '16', '--epochs', '2', '--prefix', prefix]);
    assert.equal(await exited(init), 0);
    const brokers = brokersFromEnv().join(',');
    const topics = cli(['topics', 'create', '--config', join(dir, 'loop.json'), '--brokers', brokers]);
    assert.equal(await exited(topics), 0);
    const port = (await freePort()) as number;
    router = cli(['run', 'router', '--config', join(dir, 'loop.json'), '--brokers', brokers, '--health-port', String(port)]);
    let out = '';
    router.stderr!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const get = async (path: string) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: res.status, body: await res.text() };
      } catch {
        return { status: 0, body: '' };
      }
    };
    await waitFor(async () => (await get('/healthz')).status === 200, { timeoutMs: 60_000, message: `/healthz answers (${out})` });
    await waitFor(async () => (await get('/readyz')).status === 200, { timeoutMs: 60_000, message: `/readyz turns 200 (${out})` });
    const ready = JSON.parse((await get('/readyz')).body) as { started: boolean; joined: boolean; caughtUp: boolean };
    assert.deepEqual([ready.started, ready.joined, ready.caughtUp], [true, true, true]);
    const metrics = (await get('/metrics')).body;
    for (const name of [
      'rr_records_in_total',
      'rr_records_out_total',
      'rr_dead_letters_total',
      'rr_consumer_lag',
      'rr_record_latency_seconds',
      'rr_posterior_version',
      'rr_app_stat',
      'rr_process_cpu_seconds_total',
    ]) {
      assert.ok(metrics.includes(`# TYPE ${name} `), name);
    }
    assert.match(metrics, /rr_app_stat\{app="router",name="posteriorVersion"\} -1/);
    router.kill('SIGTERM');
    assert.equal(await exited(router), 0, out);
  });
});
