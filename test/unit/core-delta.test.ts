import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDeltas, mergeDeltas, sufficientStats, type DeltaBatch } from '../../src/core/delta.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { PosteriorState } from '../../src/core/state.ts';

const d = 6;
const ARMS = ['a', 'b'];
const s = new CounterRng(1, 'delta').sequence('x');
const vec = () => Float64Array.from({ length: d }, () => s.normal() / Math.sqrt(d));
const updates = Array.from({ length: 20 }, (_, i) => ({ pairId: `p${String(i).padStart(2, '0')}`, arm: i % 2, x: vec(), r: s.uniform() }));

function fresh(): PosteriorState {
  return PosteriorState.fromPriors(
    'run',
    ARMS,
    [vec(), vec()].map(() => new Float64Array(d).fill(0.1)),
  );
}

describe('posterior deltas', () => {
  it('carry the sufficient statistics ΔΛ = Σ xxᵀ, Δb = Σ r x', () => {
    const [da] = buildDeltas('run', 0, ARMS, d, updates);
    const st = sufficientStats(da!);
    assert.equal(st.n, 10);
    const p = ArmPosterior.fromPrior(new Float64Array(d), { lambda0: 1, sigma2: 1, refreshEvery: 0 });
    for (const row of da!.rows) p.update(row.x, row.r);
    for (let i = 0; i < d * d; i++) assert.ok(Math.abs(p.precision[i]! - (i % (d + 1) === 0 ? 1 : 0) - st.dLambda[i]!) < 1e-15);
  });

  it('merge in any order and split any way give bit-identical posteriors', () => {
    const whole = buildDeltas('run', 0, ARMS, d, updates);
    const partA = buildDeltas('run', 0, ARMS, d, updates.slice(0, 7));
    const partB = buildDeltas('run', 0, ARMS, d, updates.slice(7).reverse());
    const merged = ARMS.map((_, k) => mergeDeltas(partB[k]!, partA[k]!));
    const x = fresh(),
      y = fresh();
    whole.forEach((dl) => x.apply(dl));
    merged.forEach((dl) => y.apply(dl));
    for (let k = 0; k < 2; k++) {
      assert.deepEqual(Buffer.from(y.posteriors[k]!.mean.buffer), Buffer.from(x.posteriors[k]!.mean.buffer));
    }
  });

  it('apply idempotently and in batch order', () => {
    const st = fresh();
    const b0 = buildDeltas('run', 0, ARMS, d, updates.slice(0, 10));
    const b1 = buildDeltas('run', 1, ARMS, d, updates.slice(10));
    assert.equal(st.apply(b1[0]!), 'gap');
    assert.equal(st.apply(b0[0]!), 'applied');
    const before = Buffer.from(st.posteriors[0]!.mean.slice().buffer);
    assert.equal(st.apply(b0[0]!), 'duplicate');
    assert.deepEqual(Buffer.from(st.posteriors[0]!.mean.slice().buffer), before);
    assert.equal(st.apply(b1[0]!), 'applied');
    assert.equal(st.versions[0], 1);
    assert.equal(st.version, -1); // arm b has applied nothing yet
  });

  it('a delta duplicated inside a merge keeps one copy; a conflicting one is an error', () => {
    const [a] = buildDeltas('run', 0, ARMS, d, updates.slice(0, 4));
    assert.equal(mergeDeltas(a!, a!).rows.length, a!.rows.length);
    const bad: DeltaBatch = { ...a!, rows: a!.rows.map((r) => ({ ...r, r: r.r + 1 })) };
    assert.throws(
      () => mergeDeltas(a!, bad),
      (e: unknown) => isRouterError(e, 'RR_INVALID_DELTA'),
    );
  });

  it('rejects malformed deltas with typed errors', () => {
    assert.throws(
      () => buildDeltas('run', 0, ARMS, d, [{ pairId: 'p', arm: 0, x: new Float64Array(d - 1), r: 0 }]),
      (e: unknown) => isRouterError(e, 'RR_INVALID_DELTA') && e.field === 'updates[0].x',
    );
    assert.throws(
      () => buildDeltas('run', 0, ARMS, d, [{ pairId: 'p', arm: 0, x: new Float64Array(d), r: NaN }]),
      (e: unknown) => isRouterError(e, 'RR_INVALID_DELTA') && e.field === 'updates[0].r',
    );
    const st = fresh();
    assert.throws(
      () => st.apply({ run: 'run', batch: 0, rm: 'zzz', d, rows: [] }),
      (e: unknown) => isRouterError(e, 'RR_UNKNOWN_ARM'),
    );
    assert.throws(
      () => st.apply({ run: 'other', batch: 0, rm: 'a', d, rows: [] }),
      (e: unknown) => isRouterError(e, 'RR_INVALID_DELTA'),
    );
  });

  it('a restored state continues bit-identically', () => {
    const st = fresh();
    buildDeltas('run', 0, ARMS, d, updates.slice(0, 10)).forEach((dl) => st.apply(dl));
    const copy = PosteriorState.restore(
      'run',
      [0, 1].map((k) => st.snapshot(k)),
    );
    const next = buildDeltas('run', 1, ARMS, d, updates.slice(10));
    next.forEach((dl) => {
      st.apply(dl);
      copy.apply(dl);
    });
    for (let k = 0; k < 2; k++) assert.deepEqual(Buffer.from(copy.posteriors[k]!.mean.buffer), Buffer.from(st.posteriors[k]!.mean.buffer));
    assert.deepEqual(copy.versions, [1, 1]);
  });
});
