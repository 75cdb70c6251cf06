import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOfflineData } from '../../src/sim/offline.ts';
import { writeOfflineJsonl } from '../../src/sim/offlineFile.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { stationaryScenario } from '../../src/sim/scenarios.ts';
import { createOnlineStream } from '../../src/sim/stream.ts';

const pool = loadProfilesFile(new URL('../../data/rewardbench2-profiles.json', import.meta.url).pathname);

test('offline labels follow the offline per-category probabilities (4σ)', () => {
  const cfg = stationaryScenario();
  const data = generateOfflineData(pool, cfg, 11);
  assert.equal(data.length, 6000);
  assert.equal(data[17]!.id, 'ex-000017');
  const C = pool.categories.length;
  for (let k = 0; k < pool.models.length; k++) {
    const m = pool.models[k]!;
    for (let c = 0; c < C; c++) {
      const rows = data.filter((ex) => ex.category === pool.categories[c]);
      assert.ok(rows.length > 800);
      const acc = rows.filter((ex) => ex.labels[m] === 1).length / rows.length;
      const p = pool.pairwise[k]![c]!;
      assert.ok(Math.abs(acc - p) <= 4 * Math.sqrt((p * (1 - p)) / rows.length), `${m}/${pool.categories[c]}: ${acc} vs ${p}`);
    }
  }
});

test('offline and online data of one seed share the category prototypes', () => {
  const cfg = stationaryScenario({ offlineExamples: 200 });
  const data = generateOfflineData(pool, cfg, 4);
  const world = createOnlineStream(pool, cfg, 4).world;
  for (const ex of data.slice(0, 50)) {
    const c = pool.categories.indexOf(ex.category);
    const cos = world.prototypes.map((p) => p.reduce((a, v, i) => a + v * ex.embedding[i]!, 0));
    assert.equal(cos.indexOf(Math.max(...cos)), c);
  }
  assert.deepEqual(generateOfflineData(pool, cfg, 4), data);
  assert.notDeepEqual(generateOfflineData(pool, cfg, 5)[0]!.embedding, data[0]!.embedding);
});

test('writeOfflineJsonl writes the docs/formats.md format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-offline-'));
  try {
    const data = generateOfflineData(pool, stationaryScenario({ offlineExamples: 25, d: 8 }));
    const path = join(dir, 'offline.jsonl');
    writeOfflineJsonl(path, data);
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    assert.equal(lines.length, 25);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), ['id', 'category', 'embedding', 'labels']);
    assert.equal(first.id, 'ex-000000');
    assert.deepEqual(first.embedding, Array.from(data[0]!.embedding));
    const labels = first.labels as Record<string, number>;
    assert.deepEqual(Object.keys(labels), pool.models);
    for (const v of Object.values(labels)) assert.ok(v === 0 || v === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
