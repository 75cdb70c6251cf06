// The harder scenarios: shared blind spots keep each RM's accuracy but cluster errors; the learning
// policy's loss starts at log 2 and grows with right labels; the prior-shift demotes the RM the prior
// prefers; the domain scenario moves the offline data away from the online stream. And the paired
// statistics and the warning for a profile value raised to chance.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decay, pairedInterval, verdict } from '../../src/eval/paired.ts';
import { runEval } from '../../src/eval/run.ts';
import { generateOfflineFromWorld } from '../../src/sim/offline.ts';
import { parseProfiles, selectModels } from '../../src/sim/profiles.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { scenarioConfig } from '../../src/sim/scenarios.ts';
import { applyPriorShift } from '../../src/sim/shift.ts';
import { onlineStreamFromWorld } from '../../src/sim/stream.ts';
import { LearningTrainer } from '../../src/sim/trainer.ts';
import { buildWorld } from '../../src/sim/world.ts';

const pool = selectModels(loadProfilesFile('data/rewardbench2-profiles.json'), [
  'Skywork-Reward-V2-Qwen3-0.6B',
  'gemini-2.5-flash (judge)',
  'gpt-4.1 (judge)',
]);

function errorStats(scenario: string) {
  const world = buildWorld(pool, scenarioConfig(scenario, { d: 8, seed: 4 }), 4);
  const s = onlineStreamFromWorld(world);
  let pairs = 0,
    allWrong = 0;
  const right = [0, 0, 0];
  for (let t = 0; t < 20; t++) {
    for (const p of s.generateBatch(t, { embeddings: false }).prompts) {
      for (const pair of p.pairs) {
        pairs++;
        pair.correct.forEach((c, k) => {
          if (c) right[k]!++;
        });
        if (pair.correct.every((c) => !c)) allWrong++;
      }
    }
  }
  return { acc: right.map((r) => r / pairs), allWrong: allWrong / pairs };
}

describe('harder scenarios', () => {
  it('correlated: the same accuracies, far more pairs that fool every RM at once', () => {
    const ind = errorStats('stationary');
    const cor = errorStats('correlated');
    ind.acc.forEach((a, k) => assert.ok(Math.abs(a - cor.acc[k]!) < 0.015, `RM ${k}: ${a} vs ${cor.acc[k]}`));
    assert.ok(cor.allWrong > 3 * ind.allWrong, `all wrong: ${cor.allWrong} vs ${ind.allWrong}`);
  });

  it('learning: every loss is log 2 at first; the margin grows with right labels and shrinks with wrong ones', () => {
    const tr = new LearningTrainer({ beta: 1, marginMean: 0.5, marginSd: 1 }, 100, 2, 1);
    assert.equal(tr.loss('p', true, 0), Math.log(2));
    assert.equal(tr.loss('p', false, 0), Math.log(2));
    tr.observe(Array.from({ length: 100 }, () => ({ category: 0, correct: true })));
    assert.ok(Math.abs(tr.marginMean(0) - 0.5 * Math.tanh(1)) < 1e-12);
    assert.equal(tr.marginMean(1), 0);
    tr.observe(Array.from({ length: 150 }, () => ({ category: 0, correct: false })));
    assert.ok(tr.marginMean(0) < 0, 'wrong labels teach the policy the wrong way');
  });

  it('prior-shift: demotes the RM the prior prefers, promotes the best other', () => {
    const cfg = scenarioConfig('prior-shift');
    const preferred = pool.categories.map(() => 2); // say the prior prefers gpt-4.1 everywhere
    const p = applyPriorShift(pool, cfg, pool.pairwise, preferred);
    const c = 0; // Factuality: shifted (alternate = even indices)
    assert.ok(Math.abs(p[2]![c]! - Math.max(0.5, pool.pairwise[2]![c]! - 0.08)) < 1e-12);
    const best = [0, 1].sort((a, b) => pool.pairwise[b]![c]! - pool.pairwise[a]![c]!)[0]!;
    assert.ok(p[best]![c]! > pool.pairwise[best]![c]!);
    assert.deepEqual(
      p.map((r) => r[1]),
      pool.pairwise.map((r) => r[1]),
      'odd categories untouched',
    );
  });

  it('domain: offline examples come from moved prototypes; the online stream is unchanged', () => {
    const a = buildWorld(pool, scenarioConfig('stationary', { d: 16, seed: 2, offlineExamples: 50 }), 2);
    const b = buildWorld(pool, scenarioConfig('domain', { d: 16, seed: 2, offlineExamples: 50 }), 2);
    assert.deepEqual(b.prototypes, a.prototypes);
    const cos = b.offlinePrototypes.map((v, c) => v.reduce((s, x, i) => s + x * a.prototypes[c]![i]!, 0));
    for (const x of cos) assert.ok(x > 0.5 && x < 0.98, `cos ${x}`);
    assert.notDeepEqual(generateOfflineFromWorld(b)[0]!.embedding, generateOfflineFromWorld(a)[0]!.embedding);
  });
});

describe('paired statistics', () => {
  it('mean, 95 % t interval and wins of paired differences', () => {
    const i = pairedInterval([0.01, 0.02, 0.03, 0.02, 0.02]);
    assert.ok(Math.abs(i.mean - 0.02) < 1e-15);
    // sd = sqrt(0.0002/4) = 0.00707; half = 2.776·sd/√5 = 0.00878
    assert.ok(Math.abs(i.hi - i.mean - (2.776 * Math.sqrt(0.0002 / 4)) / Math.sqrt(5)) < 1e-12);
    assert.equal(i.wins, 5);
    assert.equal(verdict(i), 'a');
    assert.equal(verdict(pairedInterval([0.01, -0.01, 0.02, -0.02, 0])), 'tie');
    assert.equal(verdict(pairedInterval([-0.01, -0.02, -0.015])), 'b');
  });

  it('decay compares the late batches with the early ones of the same seeds', async () => {
    const r = await runEval({
      pool: loadProfilesFile('data/rewardbench2-profiles.json'),
      scenarios: ['stationary'],
      seeds: [1, 2],
      sim: { batches: 4, d: 8, offlineExamples: 300, promptsPerBatch: 4 },
      offline: { epochs: 1 },
      only: ['oracle', 'random'],
    });
    const rows = decay(r, 2);
    assert.deepEqual(
      rows.map((x) => x.method),
      ['random', 'oracle'],
    );
    for (const row of rows) assert.equal(row.n, 2);
  });

  it('a profile value below chance is reported as raised', () => {
    const p = parseProfiles({ metric: 'pairwise_accuracy', categories: ['M'], models: { A: { M: 0.4 }, B: { M: 0.7 } } }, 'x.json');
    assert.deepEqual(p.raised, [{ model: 'A', category: 'M', value: 0.4, pairwise: 0.4 }]);
    assert.equal(p.pairwise[0]![0], 0.5);
    assert.equal(selectModels(p, ['B']).raised, undefined);
  });
});

describe('eval warns about a profile value raised to chance', () => {
  it('prints a warning naming the model, category and value on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-warn-'));
    const file = join(dir, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({ metric: 'pairwise_accuracy', categories: ['M', 'N'], models: { A: { M: 0.4, N: 0.8 }, B: { M: 0.7, N: 0.6 } } }),
    );
    const r = spawnSync(
      process.execPath,
      [
        'bin/reward-router.mjs',
        'eval',
        '--profiles',
        file,
        '--models',
        'A,B',
        '--scenario',
        'stationary',
        '--seeds',
        '1',
        '--batches',
        '1',
        '--d',
        '4',
        '--offline-epochs',
        '1',
        '--methods',
        'oracle',
        '--no-progress',
        '--json',
        '--report',
        join(dir, 'r.html'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: .*models\["A"\]\.M = 0\.4 .*below chance; the simulator raises it to 0\.5/);
    assert.match(r.stderr, /wrote the report to /);
  });
});
