// Fair baselines: no result depends on the order the pool is listed in, and exact ties are broken by
// a seeded draw per (pair, arm name) instead of going to the first-listed RM.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { laserRouter } from '../../src/core/bandit.ts';
import { makeBatch } from '../../src/core/context.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { argmax } from '../../src/core/thompson.ts';
import { pairedComparisons } from '../../src/eval/paired.ts';
import { armOrder, runEval } from '../../src/eval/run.ts';
import { summarizeEval } from '../../src/eval/summary.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';

const pool = loadProfilesFile('data/rewardbench2-profiles.json');
const models = ['Skywork-Reward-V2-Qwen3-0.6B', 'Skywork-Reward-V2-Llama-3.2-3B', 'gemini-2.5-flash (judge)', 'gpt-4.1 (judge)'];

describe('tie-breaking', () => {
  it('argmax without a key keeps the lowest index; with a key the larger key wins a tie only', () => {
    assert.equal(argmax([1, 3, 3, 2]), 1);
    assert.equal(
      argmax([1, 3, 3, 2], (k) => [0, 0.1, 0.9, 1][k]!),
      2,
    );
    assert.equal(
      argmax([1, 3, 2.9, 2], (k) => [0, 0.1, 0.9, 1][k]!),
      1,
    );
  });

  it("LinUCB's batch 0 (every index equal) spreads pairs over the arms, the same arms in any pool order", () => {
    const d = 4;
    const ids = Array.from({ length: 400 }, (_, i) => `p${i}`);
    const x = ids.map(() => Float64Array.from([1, 0, 0, 0]));
    const route = (arms: string[]) => {
      const p = laserRouter({
        arms,
        embeddings: arms.map(() => new Float64Array(d)),
        rng: new CounterRng(1, 'r'),
        tieRng: new CounterRng(1, 'r/tie'),
      });
      return p.route(0, makeBatch(ids, x, d)).map((dec) => arms[dec.arm]);
    };
    const fwd = route(['a', 'b', 'c']);
    assert.deepEqual(route(['c', 'a', 'b']), fwd);
    for (const a of ['a', 'b', 'c']) {
      const n = fwd.filter((v) => v === a).length;
      assert.ok(n > 90 && n < 180, `${a}: ${n} of 400`);
    }
  });

  it('the eval arm order is the sorted names shuffled per seed', () => {
    assert.deepEqual(armOrder(models, 1), armOrder([...models].reverse(), 1));
    const firsts = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => armOrder(models, s)[0]));
    assert.ok(firsts.size > 1, 'the first arm varies with the seed');
  });
});

describe('eval: pool in default order and reversed', () => {
  it('gives the same numbers for every method, scenario and seed', async () => {
    const small = { batches: 5, d: 16, offlineExamples: 600, promptsPerBatch: 8 };
    const raw = (m: string[]) =>
      runEval({ pool, models: m, scenarios: ['stationary', 'shift'], seeds: [1, 2, 3], sim: small, offline: { epochs: 2 } });
    const ra = await raw(models);
    const rb = await raw([...models].reverse());
    // The verdicts (which method beats which by the paired interval) are the same in every cell...
    const verdicts = (r: typeof ra) =>
      pairedComparisons(r, [5])
        .map((p) => `${p.scenario} ${p.a} vs ${p.b}: ${p.verdict}`)
        .sort();
    assert.deepEqual(verdicts(rb), verdicts(ra));
    assert.ok(
      verdicts(ra).some((v) => !v.endsWith('tie')),
      'some cell has a verdict',
    );
    // ...because every number is.
    const a = summarizeEval(ra, [5]);
    const b = summarizeEval(rb, [5]);
    assert.equal(a.length, b.length);
    for (const m of a) {
      const o = b.find((x) => x.name === m.name && x.scenario === m.scenario && x.horizon === m.horizon);
      assert.ok(o, m.name);
      assert.equal(o.accuracy, m.accuracy, `${m.scenario} ${m.name}`);
      assert.deepEqual(o.selectionShare, m.selectionShare);
    }
  });
});
