import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRouterError } from '../../src/core/errors.ts';
import { defaultSimConfig } from '../../src/sim/config.ts';
import { keepDecisive, routedLabel } from '../../src/sim/labels.ts';
import { SimTrainer, softplus } from '../../src/sim/trainer.ts';

test('losses are lower on average when the label is correct, but overlap', () => {
  const tr = new SimTrainer(defaultSimConfig.trainer, 1);
  const right: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 5000; i++) {
    right.push(tr.loss(`b${i % 200}-p${i % 32}-r0r${i}`, true));
    wrong.push(tr.loss(`b${i % 200}-p${i % 32}-r1r${i}`, false));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(right) + 0.2 < mean(wrong), `${mean(right)} vs ${mean(wrong)}`);
  // Substantial overlap: a good share of right labels lose more than the median wrong one.
  const medianWrong = [...wrong].sort((a, b) => a - b)[2500]!;
  const share = right.filter((l) => l > medianWrong).length / right.length;
  assert.ok(share > 0.1 && share < 0.5, `share ${share}`);
});

test('loss is a pure function of (seed, pairId, label correctness)', () => {
  const a = new SimTrainer(defaultSimConfig.trainer, 3);
  const b = new SimTrainer(defaultSimConfig.trainer, 3);
  const ids = ['b1-p0-r0r1', 'b1-p0-r0r2', 'b7-p3-r2r5'];
  assert.deepEqual(
    a.losses(ids.map((pairId) => ({ pairId, labelCorrect: true }))),
    Float64Array.from(ids.reverse().map((id) => b.loss(id, true))).reverse(),
  );
  assert.notEqual(new SimTrainer(defaultSimConfig.trainer, 4).loss('b1-p0-r0r1', true), a.loss('b1-p0-r0r1', true));
  // Right and wrong labels of one pair differ by exactly β·m.
  const m = a.margin('b1-p0-r0r1');
  assert.ok(Math.abs(a.loss('b1-p0-r0r1', false) - a.loss('b1-p0-r0r1', true) - m) < 1e-12);
});

test('softplus is stable', () => {
  assert.equal(softplus(1000), 1000);
  assert.ok(softplus(-1000) >= 0 && softplus(-1000) < 1e-300);
  assert.ok(Math.abs(softplus(0) - Math.LN2) < 1e-15);
});

test('keepDecisive: chosen RM gap > tieEps, first m in pair order', () => {
  const pairs = [0.05, 0.5, 0.2, 0.1, 0.9, 0.3, 0.4].map((g) => ({ gap: [g, 1 - g] }));
  assert.deepEqual(keepDecisive(pairs, [0, 0, 0, 0, 0, 0, 0], 0.1, 4), [1, 2, 4, 5]);
  assert.deepEqual(keepDecisive(pairs, [0, 0, 0, 0, 0, 0, 0], 0.1, 10), [1, 2, 4, 5, 6]);
  // The chosen arm's gap decides: arm 1 has gap 0.95 on pair 0 and 0.1 (a tie) on pair 4.
  assert.deepEqual(keepDecisive(pairs, [1, 1, 1, 1, 1, 1, 1], 0.1, 4), [0, 1, 2, 3]);
  assert.deepEqual(keepDecisive(pairs, [1, 0, 0, 0, 0, 0, 0], 0.45, 4), [0, 1, 4]);
  assert.throws(
    () => keepDecisive(pairs, [0], 0.1, 4),
    (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG'),
  );
  assert.throws(
    () => keepDecisive(pairs, [0, 0, 0, 0, 0, 0, 2], 0.1, 10),
    (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG'),
  );
});

test('routedLabel: preference direction from gold and correctness', () => {
  const pair = { goldA: false, correct: [true, false] };
  assert.deepEqual(routedLabel(pair, 0), { prefersA: false, correct: true });
  assert.deepEqual(routedLabel(pair, 1), { prefersA: true, correct: false });
});
