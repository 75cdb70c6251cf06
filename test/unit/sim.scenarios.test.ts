import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRouterError } from '../../src/core/errors.ts';
import { defaultSimConfig, describeSimConfig } from '../../src/sim/config.ts';
import type { SimConfig } from '../../src/sim/config.ts';
import { resolveMix } from '../../src/sim/mix.ts';
import { generateOfflineData } from '../../src/sim/offline.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { driftScenario, scenarioConfig, shiftScenario, stationaryScenario } from '../../src/sim/scenarios.ts';
import { shiftChanges } from '../../src/sim/shift.ts';
import { createOnlineStream } from '../../src/sim/stream.ts';
import { validateSimConfig } from '../../src/sim/validate.ts';

const pool = loadProfilesFile(new URL('../../data/rewardbench2-profiles.json', import.meta.url).pathname);

function configError(cfg: SimConfig, field: string): void {
  assert.throws(
    () => createOnlineStream(pool, cfg),
    (err: unknown) => {
      assert.ok(isRouterError(err, 'RR_INVALID_CONFIG'), String(err));
      assert.equal(err.field, field);
      return true;
    },
  );
}

test('shift changes the online but not the offline probabilities', () => {
  const cfg = shiftScenario({ offlineExamples: 300 });
  const world = createOnlineStream(pool, cfg).world;
  assert.deepEqual(world.offline, pool.pairwise);
  const changes = shiftChanges(pool, world.online);
  // Best and runner-up in every other category (Factuality, Math, Focus).
  assert.equal(changes.length, 6);
  assert.deepEqual([...new Set(changes.map((c) => c.category))].sort(), ['Factuality', 'Focus', 'Math']);
  for (const c of ['Factuality', 'Math', 'Focus']) {
    const ci = pool.categories.indexOf(c);
    const bestOffline = pool.pairwise.map((r) => r[ci]!).indexOf(Math.max(...pool.pairwise.map((r) => r[ci]!)));
    const bestOnline = world.online.map((r) => r[ci]!).indexOf(Math.max(...world.online.map((r) => r[ci]!)));
    assert.notEqual(bestOnline, bestOffline, `${c}: the online best is another RM`);
    assert.ok(Math.abs(world.online[bestOffline]![ci]! - (pool.pairwise[bestOffline]![ci]! - 0.08)) < 1e-12);
  }
  for (const row of world.online) for (const p of row) assert.ok(p >= 0.5 && p <= 0.995);
  // The offline data set is exactly the stationary one: the shift is online only.
  assert.deepEqual(generateOfflineData(pool, cfg), generateOfflineData(pool, stationaryScenario({ offlineExamples: 300 })));
  // Stationary: no change at all.
  assert.equal(shiftChanges(pool, createOnlineStream(pool, stationaryScenario()).world.online).length, 0);
});

test('the shifted probabilities are what the stream draws', () => {
  const s = createOnlineStream(pool, shiftScenario(), 5);
  const gpt = pool.models.indexOf('gpt-4.1 (judge)');
  const fact = pool.categories.indexOf('Factuality');
  let n = 0,
    hits = 0;
  for (let t = 0; t < 40; t++) {
    for (const p of s.generateBatch(t).prompts) {
      if (p.categoryIndex !== fact) continue;
      for (const q of p.pairs) {
        n++;
        if (q.correct[gpt]) hits++;
      }
    }
  }
  const p = s.world.online[gpt]![fact]!;
  assert.ok(Math.abs(hits / n - p) < 4 * Math.sqrt((p * (1 - p)) / n), `${hits / n} vs ${p}`);
  assert.ok(Math.abs(hits / n - pool.pairwise[gpt]![fact]!) > 0.05, 'far from the offline value');
});

test('drift moves the category mix over the run', () => {
  const cfg = driftScenario();
  const s = createOnlineStream(pool, cfg);
  const front = (w: Float64Array) => w[0]! + w[1]! + w[2]!;
  assert.ok(Math.abs(front(s.mixAt(0)) - 0.8) < 1e-12);
  assert.ok(Math.abs(front(s.mixAt(cfg.batches - 1)) - 0.2) < 1e-12);
  assert.ok(Math.abs(front(s.mixAt((cfg.batches - 1) / 2)) - 0.5) < 1e-12);
  const share = (ts: number[]) => {
    let f = 0,
      n = 0;
    for (const t of ts)
      for (const p of s.generateBatch(t).prompts) {
        n++;
        if (p.categoryIndex < 3) f++;
      }
    return f / n;
  };
  const early = share([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const late = share([190, 191, 192, 193, 194, 195, 196, 197, 198, 199]);
  assert.ok(early > 0.7 && late < 0.3, `front share early ${early}, late ${late}`);
  // Stationary and shift never drift.
  const st = createOnlineStream(pool, stationaryScenario());
  assert.deepEqual(st.mixAt(0), st.mixAt(150));
});

test('a sudden switch drift', () => {
  const s = createOnlineStream(pool, stationaryScenario({ drift: { kind: 'switch', to: { Math: 1 }, atBatch: 10 } }));
  assert.deepEqual(Array.from(s.mixAt(9)), new Array(6).fill(1 / 6));
  assert.deepEqual(Array.from(s.mixAt(10)), [0, 0, 1, 0, 0, 0]);
  assert.ok(s.generateBatch(10).prompts.every((p) => p.category === 'Math'));
});

test('mixes resolve as documented', () => {
  assert.deepEqual(Array.from(resolveMix('front', ['a', 'b', 'c'], 'm')), [4 / 9, 4 / 9, 1 / 9]);
  assert.deepEqual(Array.from(resolveMix('back', ['a', 'b', 'c', 'd'], 'm')), [0.1, 0.1, 0.4, 0.4]);
  assert.deepEqual(Array.from(resolveMix({ b: 3, c: 1 }, ['a', 'b', 'c'], 'm')), [0, 0.75, 0.25]);
  assert.throws(
    () => resolveMix({ z: 1 }, ['a'], 'sim.categoryMix'),
    (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'sim.categoryMix.z',
  );
  assert.throws(
    () => resolveMix({ a: 0 }, ['a'], 'm'),
    (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'm',
  );
});

test('bad settings are RR_INVALID_CONFIG naming the field', () => {
  configError(stationaryScenario({ d: 0 }), 'sim.d');
  configError(stationaryScenario({ responsesPerPrompt: 1 }), 'sim.responsesPerPrompt');
  configError(stationaryScenario({ embeddingNoise: Number.NaN }), 'sim.embeddingNoise');
  configError(stationaryScenario({ shiftClip: [0.9, 0.5] }), 'sim.shiftClip');
  configError(stationaryScenario({ trainer: { beta: 0, marginMean: 0.5, marginSd: 1 } }), 'sim.trainer.beta');
  configError(stationaryScenario({ categoryMix: { Cooking: 1 } }), 'sim.categoryMix.Cooking');
  configError(stationaryScenario({ drift: { kind: 'linear', to: 'back', startBatch: 5, endBatch: 2 } }), 'sim.drift.endBatch');
  configError(shiftScenario({ shift: { kind: 'demoteBest', delta: 0.1, categories: ['Cooking'] } }), 'sim.shift.categories[0]');
  configError(shiftScenario({ shift: { kind: 'explicit', deltas: { 'gpt-5': { Math: 0.1 } } } }), 'sim.shift.deltas.gpt-5');
  assert.throws(
    () => scenarioConfig('chaos'),
    (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'scenario',
  );
});

test('scenarios are full configs from the defaults; describe mentions the settings', () => {
  for (const name of ['stationary', 'shift', 'drift']) {
    const cfg = scenarioConfig(name, { seed: 9 });
    assert.equal(validateSimConfig(cfg), cfg);
    assert.equal(cfg.seed, 9);
    assert.equal(cfg.d, defaultSimConfig.d);
    assert.deepEqual(Object.keys(cfg).sort(), Object.keys(defaultSimConfig).sort());
  }
  const text = describeSimConfig(shiftScenario());
  assert.match(text, /simulation/);
  assert.match(text, /runner-up \+0\.08/);
  assert.match(describeSimConfig(driftScenario()), /linear to back/);
  // The defaults object is not mutated by scenario overrides.
  shiftScenario().trainer.beta = 3;
  assert.equal(defaultSimConfig.trainer.beta, 1);
});
