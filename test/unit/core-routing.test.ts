import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bayesianRouter, laserRouter, onlineOnlyRouter } from '../../src/core/bandit.ts';
import { fixedPolicy, offlineOnlyPolicy, randomPolicy } from '../../src/core/baselines.ts';
import { makeBatch, sliceBatch, type ContextBatch } from '../../src/core/context.ts';
import { isRouterError } from '../../src/core/errors.ts';
import type { LearnInput, RoutingPolicy } from '../../src/core/policy.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { BanditPolicy } from '../../src/core/bandit.ts';
import type { PairChoice } from '../../src/core/thompson.ts';
import { unitVector } from '../helpers/vectors.ts';

const ARMS = ['rm-a', 'rm-b', 'rm-c', 'rm-d'];
const d = 16;

const unit = (s: ReturnType<CounterRng['sequence']>): Float64Array => unitVector(s, d);

const seq = new CounterRng(1, 'fixture').sequence('emb');
const EMB = ARMS.map(() => unit(seq));

function batchOf(t: number, n: number): ContextBatch {
  const s = new CounterRng(2, 'fixture').sequence(`batch-${t}`);
  const ids = Array.from({ length: n }, (_, i) => `b${t}-p${i}`);
  return makeBatch(
    ids,
    ids.map(() => unit(s)),
    d,
  );
}

function bytes(decisions: PairChoice[]): string {
  const h = createHash('sha256');
  for (const x of decisions) {
    h.update(x.pairId);
    h.update(String(x.arm));
    h.update(Buffer.from(x.means.buffer));
    h.update(Buffer.from(x.stds.buffer));
    h.update(Buffer.from(x.samples.buffer));
  }
  return h.digest('hex');
}

/** Runs `batches` batches with synthetic feedback; returns every batch's decisions. */
function drive(policy: RoutingPolicy, batches: number): PairChoice[][] {
  const out: PairChoice[][] = [];
  for (let t = 0; t < batches; t++) {
    const batch = batchOf(t, 24);
    const dec = policy.route(t, batch);
    out.push(dec);
    const fb: LearnInput[] = dec.map((x, n) => ({
      pairId: x.pairId,
      arm: x.arm,
      x: batch.X.slice(n * d, (n + 1) * d),
      loss: 0.3 + 0.1 * x.arm + 0.05 * Math.sin(n),
    }));
    policy.learn(t, fb);
  }
  return out;
}

const setup = (seed: number) => ({ arms: ARMS, embeddings: EMB, rng: new CounterRng(seed, 'run-1') });

describe('BayesianRouter determinism', () => {
  it('the same seed gives byte-identical decisions', () => {
    const a = drive(bayesianRouter(setup(7)), 12).map(bytes);
    const b = drive(bayesianRouter(setup(7)), 12).map(bytes);
    assert.deepEqual(a, b);
    const c = drive(bayesianRouter(setup(8)), 12).map(bytes);
    assert.notDeepEqual(a, c);
  });

  it('routing a batch in another order gives the same decision per pair', () => {
    const r = bayesianRouter(setup(7));
    drive(r, 5);
    const batch = batchOf(5, 40);
    const forward = r.route(5, batch);
    const perm = Array.from({ length: 40 }, (_, i) => (i * 17) % 40);
    const shuffled = r.route(5, sliceBatch(batch, perm));
    const byId = new Map(shuffled.map((x) => [x.pairId, x]));
    for (const x of forward) assert.equal(bytes([byId.get(x.pairId)!]), bytes([x]));
  });

  it('splitting a batch across two router instances gives the same decisions', () => {
    const one = bayesianRouter(setup(7));
    const a = bayesianRouter(setup(7));
    const b = bayesianRouter(setup(7));
    for (let t = 0; t < 6; t++) {
      const batch = batchOf(t, 30);
      const whole = one.route(t, batch);
      const evens = Array.from({ length: 15 }, (_, i) => 2 * i);
      const odds = evens.map((i) => i + 1);
      const da = a.route(t, sliceBatch(batch, evens));
      const db = b.route(t, sliceBatch(batch, odds));
      const merged = new Map([...da, ...db].map((x) => [x.pairId, x]));
      for (const x of whole) assert.equal(bytes([merged.get(x.pairId)!]), bytes([x]));
      // every instance learns from the whole batch's feedback (they share the posterior topic)
      const fb: LearnInput[] = whole.map((x, n) => ({
        pairId: x.pairId,
        arm: x.arm,
        x: batch.X.slice(n * d, (n + 1) * d),
        loss: 0.5 - 0.1 * x.arm,
      }));
      for (const r of [one, a, b]) r.learn(t, [...fb].reverse());
    }
  });

  it('the prior-only router with the noise off picks the offline argmax', () => {
    const ts = new BanditPolicy({
      name: 'ts0',
      arms: ARMS,
      priors: EMB,
      selection: { kind: 'thompson', scale: 0, rng: new CounterRng(1) },
    });
    const off = offlineOnlyPolicy(ARMS, EMB);
    const batch = batchOf(0, 200);
    const a = ts.route(0, batch).map((x) => x.arm);
    const b = off.route(0, batch).map((x) => x.arm);
    assert.deepEqual(a, b);
    assert.ok(new Set(a).size > 1, 'the fixture should exercise several arms');
  });

  it('at t = 0 the noise has std ≈ 1/sqrt(λ0) for a unit context', () => {
    const dec = bayesianRouter(setup(1)).route(0, batchOf(0, 10));
    for (const x of dec) for (const s of x.stds) assert.ok(Math.abs(s - 1 / Math.sqrt(50)) < 1e-12);
  });

  it('feedback moves the posterior only after the lag', () => {
    const r = bayesianRouter({ ...setup(3), lag: 2 });
    const b0 = batchOf(0, 8);
    const d0 = r.route(0, b0);
    r.learn(
      0,
      d0.map((x, n) => ({ pairId: x.pairId, arm: x.arm, x: b0.X.slice(n * d, (n + 1) * d), loss: n })),
    );
    const before = r.route(1, b0).map((x) => bytes([x]));
    assert.deepEqual(
      before,
      d0.map((x) => bytes([x])),
      'batch 1 must still use the prior with lag 2',
    );
    r.route(2, b0);
    assert.equal(r.state.version, 0);
  });
});

describe('baselines', () => {
  it('fixed, random and LinUCB route deterministically; online-only starts at zero means', () => {
    const batch = batchOf(0, 50);
    assert.ok(
      fixedPolicy(ARMS, 'rm-c')
        .route(0, batch)
        .every((x) => x.arm === 2),
    );
    const r1 = randomPolicy(ARMS, new CounterRng(4, 'r'))
      .route(0, batch)
      .map((x) => x.arm);
    const r2 = randomPolicy(ARMS, new CounterRng(4, 'r'))
      .route(0, sliceBatch(batch, [...Array(50).keys()].reverse()))
      .map((x) => x.arm)
      .reverse();
    assert.deepEqual(r1, r2);
    assert.ok(new Set(r1).size === 4);
    const on = onlineOnlyRouter(setup(1)).route(0, batch);
    assert.ok(on.every((x) => x.means.every((m) => m === 0)));
    const a = drive(laserRouter(setup(1)), 6).map(bytes);
    assert.deepEqual(a, drive(laserRouter(setup(1)), 6).map(bytes));
  });

  it('LinUCB scores are mean + α·std with A = I, b = 0', () => {
    const dec = laserRouter(setup(1)).route(0, batchOf(0, 3));
    for (const x of dec) for (let k = 0; k < 4; k++) assert.ok(Math.abs(x.samples[k]! - 0.1) < 1e-12);
  });
});

describe('bad input', () => {
  it('a context of the wrong length is a typed error naming the field', () => {
    assert.throws(
      () => makeBatch(['p0', 'p1'], [new Float64Array(d), new Float64Array(d - 1)], d),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONTEXT') && e.field === 'contexts[1]',
    );
  });

  it('NaN and Inf in a context name the element', () => {
    const x = new Float64Array(d);
    x[3] = NaN;
    assert.throws(
      () => makeBatch(['p0'], [x], d),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONTEXT') && e.field === 'contexts[0][3]',
    );
    x[3] = Infinity;
    assert.throws(
      () => makeBatch(['p0'], [x], d),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONTEXT') && e.field === 'contexts[0][3]',
    );
  });

  it('an unknown arm is a typed error', () => {
    assert.throws(
      () => fixedPolicy(ARMS, 'nope'),
      (e: unknown) => isRouterError(e, 'RR_UNKNOWN_ARM') && e.field === 'arm',
    );
    const r = bayesianRouter(setup(1));
    const b = batchOf(0, 2);
    r.route(0, b);
    assert.throws(
      () => r.learn(0, [{ pairId: 'b0-p0', arm: 9, x: b.X.slice(0, d), loss: 1 }]),
      (e: unknown) => isRouterError(e, 'RR_UNKNOWN_ARM'),
    );
  });

  it('a NaN loss is a typed error, not a silent update', () => {
    const r = bayesianRouter(setup(1));
    const b = batchOf(0, 1);
    assert.throws(
      () => r.learn(0, [{ pairId: 'b0-p0', arm: 0, x: b.X.slice(0, d), loss: NaN }]),
      (e: unknown) => isRouterError(e, 'RR_INVALID_REWARD'),
    );
  });
});
