// The supervisor (streams/runtime/supervisor.ts) with fake apps and buses: every failure replaces the whole
// incarnation; an outage longer than the limit, a non-retriable error or a stuck close ends run()
// with a non-zero code; stop() at any moment (starting included) ends it with 0. Virtual time: the
// outage clock and the sleeps are injected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouterError } from '../../src/core/errors.ts';
import type { AppHandle } from '../../streams/runtime/context.ts';
import { isNonRetriable, Supervisor, type SupervisorOptions } from '../../streams/runtime/supervisor.ts';
import { quietLog } from './streams-fixtures.ts';

interface Harness {
  opts: SupervisorOptions;
  starts: number;
  closedBuses: number;
  fails: ((err: unknown) => void)[];
  clock: { t: number };
}

/** `plan[i]` says what the i-th start does: 'ok' (runs until failed), 'throw' (start rejects), 'hang' (never resolves). */
function harness(plan: ('ok' | 'throw' | 'hang')[], over: Partial<SupervisorOptions> = {}): Harness {
  const h: Harness = { starts: 0, closedBuses: 0, fails: [], clock: { t: 0 }, opts: undefined as never };
  h.opts = {
    name: 'test',
    outageLimitMs: 10_000,
    log: quietLog,
    now: () => h.clock.t,
    sleep: async (ms) => {
      h.clock.t += ms;
    },
    openBus: () => ({
      close: async () => {
        h.closedBuses++;
      },
    }),
    startApp: async (_bus, fail) => {
      const what = plan[h.starts++] ?? 'ok';
      if (what === 'throw') {
        h.clock.t += 1_000;
        throw new RouterError('RR_BUS', 'broker down', { retriable: true });
      }
      if (what === 'hang') return new Promise<AppHandle>(() => {});
      h.fails.push(fail);
      return { name: 'test', close: async () => {}, stats: () => ({ starts: h.starts }) };
    },
    ...over,
  };
  return h;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('streams: supervisor', () => {
  it('replaces the incarnation on each failure and recovers once a start succeeds', async () => {
    const h = harness(['ok', 'throw', 'throw', 'ok']);
    const sup = new Supervisor(h.opts);
    const run = sup.run();
    await tick();
    h.fails[0]!(new Error('consumer crashed'));
    while (h.starts < 4) await tick();
    await tick();
    assert.equal(sup.restarts, 3);
    sup.stop();
    const res = await run;
    assert.equal(res.code, 0);
    assert.equal(res.reason, 'stopped');
    assert.equal(h.closedBuses, 4, 'every incarnation closed its bus');
  });

  it('gives up with a non-zero code once the outage passes outageLimitMs', async () => {
    const h = harness(['ok', ...Array<'throw'>(50).fill('throw')], { outageLimitMs: 5_000 });
    const sup = new Supervisor(h.opts);
    const run = sup.run();
    await tick();
    h.fails[0]!(new Error('ECONNREFUSED'));
    const res = await run;
    assert.equal(res.code, 1);
    assert.equal(res.reason, 'outage-limit');
    assert.match(res.message, /outageLimitMs = 5000/);
    assert.ok(h.clock.t >= 5_000 && h.clock.t < 5_000 + 2 * 2_000 + 1_000, `gave up at ${h.clock.t} ms of virtual time`);
  });

  it('exits at once on a non-retriable error (a bad config, missing authorization)', async () => {
    const h = harness(['ok']);
    const sup = new Supervisor(h.opts);
    const run = sup.run();
    await tick();
    h.fails[0]!(
      new RouterError('RR_BUS', 'send failed', { cause: Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' }) }),
    );
    const res = await run;
    assert.deepEqual([res.code, res.reason, h.starts], [1, 'non-retriable', 1]);
    assert.ok(isNonRetriable(new RouterError('RR_INVALID_CONFIG', 'x')));
    assert.ok(!isNonRetriable(new RouterError('RR_BUS', 'x')));
    // Fenced: retried (behind the lease the fresh incarnation comes back as a standby).
    assert.ok(!isNonRetriable(Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' })));
  });

  it('stop() during a start that never completes closes its bus and ends with 0', async () => {
    const h = harness(['hang']);
    const sup = new Supervisor(h.opts);
    const run = sup.run();
    await tick();
    sup.stop();
    const res = await run;
    assert.deepEqual([res.code, res.reason], [0, 'stopped']);
    assert.ok(h.closedBuses >= 1, "the starting incarnation's bus was closed");
  });

  it('a close that hangs past closeTimeoutMs ends with a non-zero code (no half-closed client stays alive)', async () => {
    const h = harness(['ok'], { closeTimeoutMs: 20, openBus: () => ({ close: () => new Promise<void>(() => {}) }) });
    const sup = new Supervisor(h.opts);
    const run = sup.run();
    await tick();
    h.fails[0]!(new Error('boom'));
    const res = await run;
    assert.deepEqual([res.code, res.reason], [1, 'close-timeout']);
  });
});
