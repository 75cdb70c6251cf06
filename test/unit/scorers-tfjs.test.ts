// The tfjs backend: a reward model trained here, saved in tfjs format, loaded back from disk scores
// exactly as the in-memory model did; the committed demo model (data/tfjs-rm) loads and ranks
// held-out pairs; the backend ladder picks the native rung when it is there and wasm otherwise.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs';
import { loadBackend, type Tf } from '../../src/offline/backend.ts';
import { featurizeBatch } from '../../src/scorers/featurize.ts';
import { rmPreferenceData } from '../../src/scorers/rmData.ts';
import { climbLadder, type Rung } from '../../src/scorers/tfLadder.ts';
import { tfjsBackend } from '../../src/scorers/tfjs.ts';
import { loadRewardModel, saveRewardModel } from '../../src/scorers/tfjsModel.ts';
import { pairAccuracy, rmTrainDefaults, trainRewardModel } from '../../src/scorers/train.ts';
import { isFailure } from '../../src/scorers/types.ts';

const clock = { now: () => 0 };
const DEMO = new URL('../../data/tfjs-rm/', import.meta.url).pathname;

describe('tfjs reward model: save → load', () => {
  it('the model loaded from disk (model.json + shard + featurizer.json) gives the in-memory rewards bit for bit', async () => {
    const { tf } = await loadBackend('wasm');
    const { model, featurizer, heldOutAccuracy } = trainRewardModel(tf, { ...rmTrainDefaults, examples: 400, heldOut: 100, epochs: 2 });
    assert.ok(heldOutAccuracy > 0.5, `held-out accuracy ${heldOutAccuracy}`);
    const items = rmPreferenceData(50, 9, 'held-out').flatMap((p) => [
      { prompt: p.prompt, response: p.chosen },
      { prompt: p.prompt, response: p.rejected },
    ]);
    const inMemory = Array.from(
      tf.tidy(() => (model.predict(tf.tensor2d(featurizeBatch(featurizer, items), [items.length, featurizer.dim])) as Tensor).dataSync()),
    );
    const dir = await mkdtemp(join(tmpdir(), 'rr-tfjs-'));
    try {
      await saveRewardModel(tf, model, dir, featurizer);
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      assert.equal(json.format, 'layers-model');
      assert.deepEqual(json.weightsManifest[0].paths, ['group1-shard1of1.bin']);
      const b = await tfjsBackend({ modelDir: dir, tfBackend: 'wasm', maxBatch: 16, clock });
      assert.equal(b.rung, 'wasm');
      assert.match(b.modelVersion, /^tfjs-sha256:[0-9a-f]{16}$/);
      assert.deepEqual(await b.rewards(items), inMemory);
      // and through the pair interface (micro-batch of pairs, each distinct text scored once)
      const pairs = rmPreferenceData(10, 9, 'held-out').map((p, i) => ({
        pairId: `p${i}`,
        prompt: p.prompt,
        messages: [],
        responseA: p.chosen,
        responseB: p.rejected,
      }));
      const out = await b.scorePairs(pairs);
      out.forEach((r, i) => {
        assert.ok(!isFailure(r));
        assert.equal(r.scoreA, inMemory[2 * i]);
        assert.equal(r.scoreB, inMemory[2 * i + 1]);
      });
      await b.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the committed demo model loads and ranks held-out pairs (topics it never saw)', async () => {
    const { tf } = await loadBackend('wasm');
    const { model, featurizer, version } = await loadRewardModel(tf, DEMO);
    assert.equal(featurizer.dim, rmTrainDefaults.dim);
    const acc = pairAccuracy(tf, model, featurizer, rmPreferenceData(500, rmTrainDefaults.seed, 'held-out'));
    assert.ok(acc >= 0.95, `held-out accuracy ${acc}`);
    assert.match(version, /^tfjs-sha256:/);
  });

  it('a missing or broken model directory is RR_RM naming the directory', async () => {
    const { tf } = await loadBackend('wasm');
    await assert.rejects(
      loadRewardModel(tf, '/nonexistent/model'),
      (e: Error & { code?: string }) => e.code === 'RR_RM' && /\/nonexistent\/model/.test(e.message),
    );
  });
});

describe('tfjs backend ladder: tfjs-node-gpu → tfjs-node → wasm → cpu', () => {
  const fakeTf = (name: string) => ({ name }) as unknown as Tf;
  const probeWith =
    (have: Partial<Record<Rung, boolean | 'throws'>>) =>
    async (r: Rung): Promise<Tf | null> => {
      if (have[r] === 'throws') throw new Error(`${r} failed to load: libtensorflow.so.2: cannot open shared object file`);
      return have[r] ? fakeTf(r) : null;
    };

  it('picks the GPU build when it is there', async () => {
    assert.equal((await climbLadder(probeWith({ 'tfjs-node-gpu': true, 'tfjs-node': true, wasm: true, cpu: true }))).rung, 'tfjs-node-gpu');
  });
  it('picks tfjs-node when it is built and the GPU build is not', async () => {
    const c = await climbLadder(probeWith({ 'tfjs-node': true, wasm: true, cpu: true }));
    assert.equal(c.rung, 'tfjs-node');
    assert.deepEqual(c.notes, ['tfjs-node-gpu: not available']);
  });
  it('picks wasm when no native build is there (or one fails to load), and says why', async () => {
    const c = await climbLadder(probeWith({ 'tfjs-node-gpu': 'throws', wasm: true, cpu: true }));
    assert.equal(c.rung, 'wasm');
    assert.equal(c.notes.length, 2);
    assert.match(c.notes[0]!, /tfjs-node-gpu: .*cannot open shared object/);
  });
  it('falls to cpu, honours a preference, and fails with every reason when nothing starts', async () => {
    assert.equal((await climbLadder(probeWith({ cpu: true }))).rung, 'cpu');
    assert.equal((await climbLadder(probeWith({ 'tfjs-node': true, wasm: true, cpu: true }), 'wasm')).rung, 'wasm');
    assert.equal((await climbLadder(probeWith({ wasm: true, cpu: true }), 'cpu')).rung, 'cpu');
    await assert.rejects(climbLadder(probeWith({})), /no tfjs backend could start/);
  });
  it('the real ladder here: wasm unless a native package was built (npm run setup:tfjs-node)', async () => {
    const b = await tfjsBackend({ modelDir: DEMO, tfBackend: 'auto', maxBatch: 64, clock });
    assert.ok(['tfjs-node-gpu', 'tfjs-node', 'wasm'].includes(b.rung), b.rung);
    assert.ok(b.warmupMs >= 0);
  });
});
