import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRouterError } from '../../src/core/errors.ts';
import { parseProfiles, selectModels, toPairwise } from '../../src/sim/profiles.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';

const file = new URL('../../data/rewardbench2-profiles.json', import.meta.url).pathname;

function profile(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metric: 'best_of_4_accuracy_percent',
    categories: ['Math', 'Safety'],
    models: { A: { Math: 72.9, Safety: 12.5 }, 'gpt-4.1 (judge)': { Math: 100, Safety: 0 } },
    ...over,
  };
}

function expectProfileError(json: unknown, field: string): void {
  assert.throws(
    () => parseProfiles(json, 'test.json'),
    (err: unknown) => {
      assert.ok(isRouterError(err, 'RR_INVALID_PROFILE'), String(err));
      assert.equal(err.field, field);
      assert.equal(err.source, 'test.json');
      return true;
    },
  );
}

test('best-of-4 percent → pairwise a^(1/3), with the 0.5 floor', () => {
  const pool = parseProfiles(profile(), 'test.json');
  assert.deepEqual(pool.categories, ['Math', 'Safety']);
  assert.deepEqual(pool.models, ['A', 'gpt-4.1 (judge)']);
  assert.ok(Math.abs(pool.pairwise[0]![0]! - 0.9) < 1e-12); // 0.729^(1/3)
  assert.ok(Math.abs(pool.pairwise[0]![1]! - 0.5) < 1e-12); // 0.125^(1/3) = 0.5 exactly
  assert.equal(pool.pairwise[1]![0], 1);
  assert.equal(pool.pairwise[1]![1], 0.5); // 0 → floor
  assert.equal(pool.metric, 'best_of_4_accuracy_percent');
});

test('all four metrics convert as documented', () => {
  assert.ok(Math.abs(toPairwise(0.729, 'best_of_4_accuracy') - 0.9) < 1e-12);
  assert.equal(toPairwise(81, 'pairwise_accuracy_percent'), 0.81);
  assert.equal(toPairwise(0.81, 'pairwise_accuracy'), 0.81);
  assert.equal(toPairwise(0.3, 'pairwise_accuracy'), 0.5);
  const pool = parseProfiles(profile({ metric: 'pairwise_accuracy', models: { A: { Math: 0.8, Safety: 0.95 } } }), 'p');
  assert.deepEqual(pool.pairwise, [[0.8, 0.95]]);
});

test('the RewardBench 2 profile file loads', () => {
  const pool = loadProfilesFile(file);
  assert.equal(pool.models.length, 8);
  assert.deepEqual(pool.categories, ['Factuality', 'Precise IF', 'Math', 'Safety', 'Focus', 'Ties']);
  for (const row of pool.pairwise) for (const p of row) assert.ok(p >= 0.5 && p <= 1);
  const gemini = pool.models.indexOf('gemini-2.5-flash (judge)');
  assert.ok(Math.abs(pool.pairwise[gemini]![2]! - Math.cbrt(0.811)) < 1e-12);
});

test('malformed profiles name the field', () => {
  expectProfileError(profile({ models: { 'gpt-4.1 (judge)': { Safety: 50 } } }), 'models["gpt-4.1 (judge)"].Math');
  expectProfileError(profile({ models: { A: { Math: '70', Safety: 50 } } }), 'models["A"].Math');
  expectProfileError(profile({ models: { A: { Math: Number.NaN, Safety: 50 } } }), 'models["A"].Math');
  expectProfileError(profile({ models: { A: { Math: 101, Safety: 50 } } }), 'models["A"].Math');
  expectProfileError(profile({ metric: 'pairwise_accuracy', models: { A: { Math: 0.8, Safety: 80 } } }), 'models["A"].Safety');
  expectProfileError(profile({ models: { A: { Math: -1, Safety: 50 } } }), 'models["A"].Math');
  expectProfileError(profile({ metric: 'elo' }), 'metric');
  expectProfileError(profile({ metric: undefined }), 'metric');
  expectProfileError(profile({ models: {} }), 'models');
  expectProfileError(profile({ models: [] }), 'models');
  expectProfileError(profile({ categories: [] }), 'categories');
  expectProfileError(profile({ categories: ['Math', 'Math'] }), 'categories[1]');
  expectProfileError(profile({ categories: ['Math', 3] }), 'categories[1]');
  expectProfileError(profile({ models: { A: { Math: 50, Safety: 50, Code: 50 } } }), 'models["A"].Code');
  expectProfileError(profile({ models: { A: 70 } }), 'models["A"]');
  expectProfileError(null, '(root)');
});

test('selectModels keeps the given order and rejects unknown names', () => {
  const pool = loadProfilesFile(file);
  const sub = selectModels(pool, ['gpt-4.1 (judge)', 'Skywork-Reward-V2-Qwen3-0.6B']);
  assert.deepEqual(sub.models, ['gpt-4.1 (judge)', 'Skywork-Reward-V2-Qwen3-0.6B']);
  assert.deepEqual(sub.pairwise[0], pool.pairwise[7]);
  assert.throws(
    () => selectModels(pool, ['gpt-4.1 (judge)', 'gpt-5']),
    (err: unknown) => isRouterError(err, 'RR_INVALID_CONFIG') && err.field === 'models[1]' && /gpt-5/.test(err.message),
  );
  assert.throws(
    () => selectModels(pool, []),
    (err: unknown) => isRouterError(err, 'RR_INVALID_CONFIG'),
  );
});

test('loadProfilesFile: missing file is RR_IO, bad JSON is RR_INVALID_PROFILE', () => {
  assert.throws(
    () => loadProfilesFile('/nonexistent/profiles.json'),
    (err: unknown) => isRouterError(err, 'RR_IO'),
  );
  assert.throws(
    () => loadProfilesFile(new URL('../../package.json', import.meta.url).pathname),
    (err: unknown) => isRouterError(err, 'RR_INVALID_PROFILE'),
  );
});
