import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { selectModels } from '../../src/sim/profiles.ts';
import { createOnlineStream } from '../../src/sim/stream.ts';
import type { SimBatch } from '../../src/sim/stream.ts';
import { stationaryScenario } from '../../src/sim/scenarios.ts';
import { isRouterError } from '../../src/core/errors.ts';

const pool = loadProfilesFile(new URL('../../data/rewardbench2-profiles.json', import.meta.url).pathname);

/** A hash of every number and string of a batch. */
function batchHash(b: SimBatch): string {
  const h = createHash('sha256');
  h.update(`t${b.t}`);
  for (const p of b.prompts) {
    h.update(`${p.promptId}|${p.category}|${p.categoryIndex}`);
    for (const q of p.pairs) {
      h.update(`${q.pairId}|${q.goldA}|${q.correct.join(',')}`);
      for (const arr of [q.x, q.gap, q.signedScore]) h.update(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    }
  }
  return h.digest('hex');
}

test('same seed → identical batches; batch t alone equals batch t after others', () => {
  const cfg = stationaryScenario({ batches: 20 });
  const a = createOnlineStream(pool, cfg, 7);
  const seq = [0, 1, 2, 3, 4, 5].map((t) => batchHash(a.generateBatch(t)));
  const b = createOnlineStream(pool, cfg, 7);
  assert.equal(batchHash(b.generateBatch(5)), seq[5]);
  assert.equal(batchHash(b.generateBatch(2)), seq[2]);
  assert.equal(batchHash(a.generateBatch(0)), seq[0]);
  assert.equal(new Set(seq).size, seq.length, 'batches differ from each other');
  assert.notEqual(batchHash(createOnlineStream(pool, cfg, 8).generateBatch(5)), seq[5], 'another seed differs');
});

test('batch shape: prompts × pairs, stable pair ids, per-RM arrays', () => {
  const cfg = stationaryScenario();
  const batch = createOnlineStream(pool, cfg).generateBatch(12);
  assert.equal(batch.t, 12);
  assert.equal(batch.prompts.length, 32);
  const p3 = batch.prompts[3]!;
  assert.equal(p3.promptId, 'b12-p3');
  assert.equal(p3.pairs.length, 15);
  assert.equal(p3.pairs[3]!.pairId, 'b12-p3-r0r4');
  assert.equal(p3.pairs[14]!.pairId, 'b12-p3-r4r5');
  for (const q of p3.pairs) {
    assert.equal(q.correct.length, 8);
    assert.equal(q.gap.length, 8);
    assert.equal(q.x.length, 64);
    for (let k = 0; k < 8; k++) {
      assert.ok(q.gap[k]! >= 0);
      // The sign of the raw score agrees with the label: prefers a iff (gold is a) == correct.
      assert.equal(q.signedScore[k]! > 0, q.goldA === q.correct[k]);
    }
  }
  assert.throws(
    () => createOnlineStream(pool, cfg).generateBatch(-1),
    (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG'),
  );
});

test("an RM's outcomes do not depend on which other RMs are in the pool", () => {
  const cfg = stationaryScenario();
  const full = createOnlineStream(pool, cfg).generateBatch(4);
  const sub = createOnlineStream(selectModels(pool, ['gpt-4.1 (judge)', 'Skywork-Reward-V2-Qwen3-0.6B']), cfg).generateBatch(4);
  const q = full.prompts[9]!.pairs[6]!;
  const r = sub.prompts[9]!.pairs[6]!;
  assert.deepEqual(r.x, q.x);
  assert.equal(r.correct[0], q.correct[7]);
  assert.equal(r.gap[1], q.gap[0]);
});

test('empirical per-category accuracy of each RM matches its pairwise probability (4σ)', () => {
  const cfg = stationaryScenario();
  const s = createOnlineStream(pool, cfg, 3);
  const K = pool.models.length;
  const C = pool.categories.length;
  const hits = Array.from({ length: K }, () => new Float64Array(C));
  const n = new Float64Array(C);
  for (let t = 0; t < 40; t++) {
    for (const p of s.generateBatch(t).prompts) {
      for (const q of p.pairs) {
        n[p.categoryIndex]!++;
        for (let k = 0; k < K; k++) if (q.correct[k]) hits[k]![p.categoryIndex]!++;
      }
    }
  }
  for (let c = 0; c < C; c++) {
    assert.ok(n[c]! > 2000, `category ${c} has ${n[c]} pairs`);
    for (let k = 0; k < K; k++) {
      const p = s.world.online[k]![c]!;
      const sigma = Math.sqrt((p * (1 - p)) / n[c]!);
      const got = hits[k]![c]! / n[c]!;
      assert.ok(Math.abs(got - p) <= 4 * sigma + 1e-9, `${pool.models[k]} / ${pool.categories[c]}: ${got} vs ${p}`);
    }
  }
});

test('embeddings: unit norm, closer to their own prototype than to others', () => {
  const s = createOnlineStream(pool, stationaryScenario(), 2);
  let own = 0,
    other = 0,
    nOwn = 0,
    nOther = 0,
    closestOwn = 0;
  for (const p of s.generateBatch(0).prompts) {
    for (const q of p.pairs) {
      let norm = 0;
      for (const v of q.x) norm += v * v;
      assert.ok(Math.abs(norm - 1) < 1e-12);
      const cos = s.world.prototypes.map((proto) => proto.reduce((acc, v, i) => acc + v * q.x[i]!, 0));
      cos.forEach((v, c) => {
        if (c === p.categoryIndex) {
          own += v;
          nOwn++;
        } else {
          other += v;
          nOther++;
        }
      });
      if (cos.indexOf(Math.max(...cos)) === p.categoryIndex) closestOwn++;
    }
  }
  own /= nOwn;
  other /= nOther;
  assert.ok(own > 0.6 && own < 0.8, `mean cos to own prototype ${own}`);
  assert.ok(Math.abs(other) < 0.2, `mean cos to other prototypes ${other}`);
  assert.ok(closestOwn / nOwn > 0.9);
});

test('input width ≠ d generates embeddings of that width', () => {
  const s = createOnlineStream(pool, stationaryScenario({ d: 16, inputDim: 40 }));
  assert.equal(s.generateBatch(0).prompts[0]!.pairs[0]!.x.length, 40);
});

test('raw score scales differ across RMs (mean ensembles must z-normalize)', () => {
  const s = createOnlineStream(pool, stationaryScenario());
  const scales = Array.from(s.world.scoreScales);
  assert.ok(Math.max(...scales) / Math.min(...scales) > 3, scales.join(', '));
});

test('a batch without embeddings has the same outcomes, only no contexts', () => {
  const s = createOnlineStream(pool, stationaryScenario({ d: 16 }));
  const full = s.generateBatch(5);
  const lite = s.generateBatch(5, { embeddings: false });
  assert.equal(lite.prompts.length, full.prompts.length);
  lite.prompts.forEach((p, i) => {
    const f = full.prompts[i]!;
    assert.equal(p.category, f.category);
    p.pairs.forEach((x, j) => {
      const y = f.pairs[j]!;
      assert.equal(x.pairId, y.pairId);
      assert.equal(x.x.length, 0);
      assert.equal(x.goldA, y.goldA);
      assert.deepEqual(x.correct, y.correct);
      assert.deepEqual([...x.gap], [...y.gap]);
      assert.deepEqual([...x.signedScore], [...y.signedScore]);
    });
  });
});
