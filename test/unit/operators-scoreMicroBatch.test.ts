// scoreMicroBatch: requests of several prompts are scored together, bounded by pairs and by time
// (a virtual scheduler), one Score per request in order even when micro-batches finish out of order;
// a pair the RM could not score is written unscored (NaN scores) and rejected with its reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import type { BusRecord } from '../../src/bus/types.ts';
import { scoreMicroBatch } from '../../src/operators/scoreMicroBatch.ts';
import type { Work } from '../../src/operators/types.ts';
import type { Score, ScoringRequest } from '../../src/records/types.ts';
import type { PairInput, PairResult, RmBackend } from '../../src/scorers/types.ts';

const record = (i: number): BusRecord =>
  ({
    topic: 'req',
    partition: 0,
    offset: String(i),
    key: null,
    value: Buffer.from([i]),
    headers: {},
    timestamp: '0',
  }) as unknown as BusRecord;
const req = (i: number, n: number, rm = 'rm'): Work<ScoringRequest> => ({
  record: record(i),
  rejected: [],
  value: {
    run: 'r',
    batch: 0,
    promptId: `p${i}`,
    rm,
    prompt: `prompt ${i}`,
    messages: [],
    promptPairs: n,
    routedAtMs: 0,
    pairs: Array.from({ length: n }, (_, k) => ({ pairId: `p${i}/${k}`, index: k, responseA: `a${k}`, responseB: `b${k}` })),
  },
});

/** A backend that scores scoreA = length of the prompt's id digits… and records its calls; `hold` delays a call. */
function fakeBackend(opts: { fail?: (p: PairInput) => boolean; delayFor?: (callNo: number) => number } = {}) {
  const calls: string[][] = [];
  const backend: RmBackend = {
    kind: 'fake',
    modelVersion: 'fake@1',
    async scorePairs(pairs: readonly PairInput[]): Promise<PairResult[]> {
      const no = calls.push(pairs.map((p) => p.pairId)) - 1;
      const ms = opts.delayFor?.(no) ?? 0;
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      return pairs.map((p) =>
        opts.fail?.(p)
          ? { failure: { code: 'RM_UNAVAILABLE' as const, message: 'down' } }
          : { scoreA: p.responseA.length, scoreB: -p.pairId.length },
      );
    },
    stats: () => ({}),
  };
  return { backend, calls };
}

async function run(
  items: Work<ScoringRequest>[],
  o: { maxPairs: number; maxWaitMs: number; backend: RmBackend; scheduler?: VirtualTimeScheduler; beforeComplete?: () => void },
) {
  const src = new Subject<Work<ScoringRequest>>();
  const out: Work<Score>[] = [];
  const done = new Promise<void>((resolve, reject) =>
    src
      .pipe(scoreMicroBatch({ arms: ['rm'], clock: { now: () => 0 }, ...o }))
      .subscribe({ next: (w) => out.push(w), complete: resolve, error: reject }),
  );
  for (const it of items) src.next(it);
  o.beforeComplete?.();
  src.complete();
  await done;
  return out;
}

describe('scoreMicroBatch', () => {
  it('gathers requests of several prompts until maxPairs pairs, one backend call per micro-batch', async () => {
    const { backend, calls } = fakeBackend();
    const out = await run([req(0, 3), req(1, 3), req(2, 3), req(3, 3), req(4, 3)], { maxPairs: 6, maxWaitMs: 60_000, backend });
    assert.deepEqual(
      calls.map((c) => c.length),
      [6, 6, 3],
    );
    assert.deepEqual(
      out.map((w) => w.value!.promptId),
      ['p0', 'p1', 'p2', 'p3', 'p4'],
    );
    assert.equal(out[0]!.value!.modelVersion, 'fake@1');
    assert.deepEqual(out[4]!.value!.pairs[2], { pairId: 'p4/2', index: 2, scoreA: 2, scoreB: -4, unscored: null });
  });

  it('flushes a partial micro-batch after maxWaitMs on the injected scheduler (not before)', async () => {
    const { backend, calls } = fakeBackend();
    const scheduler = new VirtualTimeScheduler();
    const src = new Subject<Work<ScoringRequest>>();
    const out: Work<Score>[] = [];
    src
      .pipe(scoreMicroBatch({ backend, arms: ['rm'], clock: { now: () => 0 }, maxPairs: 100, maxWaitMs: 50, scheduler }))
      .subscribe((w) => out.push(w));
    src.next(req(0, 2));
    src.next(req(1, 2));
    assert.equal(calls.length, 0, 'nothing sent before the wait is over');
    scheduler.flush(); // virtual time runs to 50 ms
    assert.deepEqual(calls, [['p0/0', 'p0/1', 'p1/0', 'p1/1']]);
    await new Promise((r) => setImmediate(r));
    assert.equal(out.length, 2);
  });

  it('keeps request order when a later micro-batch finishes first', async () => {
    const { backend, calls } = fakeBackend({ delayFor: (no) => (no === 0 ? 60 : 0) });
    const out = await run([req(0, 2), req(1, 2), req(2, 2)], { maxPairs: 2, maxWaitMs: 60_000, backend });
    assert.equal(calls.length, 3);
    assert.deepEqual(
      out.map((w) => w.value!.promptId),
      ['p0', 'p1', 'p2'],
    );
  });

  it('an unscored pair: NaN scores, `unscored` = the reason, a rejection with that reason; the other pairs scored', async () => {
    const { backend } = fakeBackend({ fail: (p) => p.pairId === 'p0/1' });
    const [w] = await run([req(0, 3)], { maxPairs: 10, maxWaitMs: 0, backend });
    const pairs = w!.value!.pairs;
    assert.equal(pairs[1]!.unscored, 'RM_UNAVAILABLE');
    assert.ok(Number.isNaN(pairs[1]!.scoreA) && Number.isNaN(pairs[1]!.scoreB));
    assert.equal(pairs[0]!.unscored, null);
    assert.equal(w!.rejected.length, 1);
    assert.equal(w!.rejected[0]!.reason, 'RM_UNAVAILABLE');
    assert.match(String(w!.rejected[0]!.error), /pair p0\/1 unscored by RM rm: down/);
  });

  it('an audit request (shadow scoring): the Score says audit, and an unscored audit pair is rejected with its reason as any other', async () => {
    const { backend } = fakeBackend({ fail: (p) => p.pairId === 'p1/0' });
    const audit = req(1, 2);
    const [routed, aw] = await run([req(0, 1), { ...audit, value: { ...audit.value!, audit: true } }], {
      maxPairs: 10,
      maxWaitMs: 0,
      backend,
    });
    assert.equal(routed!.value!.audit, false);
    assert.equal(aw!.value!.audit, true);
    assert.equal(aw!.value!.pairs[0]!.unscored, 'RM_UNAVAILABLE');
    assert.deepEqual(
      aw!.rejected.map((r) => r.reason),
      ['RM_UNAVAILABLE'],
    );
  });

  it('a backend that throws leaves every pair of its micro-batch unscored, none lost', async () => {
    const backend: RmBackend = {
      kind: 'x',
      modelVersion: 'x',
      scorePairs: async () => {
        throw new Error('boom');
      },
      stats: () => ({}),
    };
    const out = await run([req(0, 2), req(1, 1)], { maxPairs: 10, maxWaitMs: 0, backend });
    assert.deepEqual(
      out.map((w) => w.value!.pairs.map((p) => p.unscored)),
      [['RM_UNAVAILABLE', 'RM_UNAVAILABLE'], ['RM_UNAVAILABLE']],
    );
    assert.equal(out.flatMap((w) => w.rejected).length, 3);
  });

  it('a request for an RM outside the pool is rejected whole (UNKNOWN_RM), in its place', async () => {
    const { backend, calls } = fakeBackend();
    const out = await run([req(0, 1), req(1, 1, 'other'), req(2, 1)], { maxPairs: 10, maxWaitMs: 0, backend });
    assert.deepEqual(calls, [['p0/0', 'p2/0']]);
    assert.equal(out[1]!.value, undefined);
    assert.equal((out[1]!.rejected[0]!.error as { reason: string }).reason, 'UNKNOWN_RM');
  });
});
