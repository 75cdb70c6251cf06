import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerOfflineCommand } from '../../src/cli/commands/offline.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { parsePrior, serializePrior } from '../../src/core/prior.ts';
import { applyProjection, identityOrProject } from '../../src/core/projection.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { loadBackend } from '../../src/offline/backend.ts';
import type { Tf } from '../../src/offline/backend.ts';
import { readPrior, trainOfflineRouter, writePrior } from '../../src/offline/index.ts';
import { createRouterModel } from '../../src/offline/model.ts';
import { generateSyntheticDataset, toJsonl } from '../../src/offline/synthetic.ts';

// 4 RMs × 6 categories; a different RM leads each category (0.9) and none is good everywhere.
const ACCURACY = [
  [0.9, 0.65, 0.55, 0.7],
  [0.6, 0.9, 0.65, 0.7],
  [0.55, 0.65, 0.9, 0.7],
  [0.65, 0.6, 0.6, 0.9],
  [0.9, 0.7, 0.6, 0.65],
  [0.6, 0.6, 0.7, 0.9],
];
const data = generateSyntheticDataset({ n: 3000, width: 16, accuracy: ACCURACY, noise: 1, seed: 21 });

let tf: Tf;
let backendName: string;
before(async () => {
  ({ tf, name: backendName } = await loadBackend());
});

describe('offline training (end to end)', () => {
  it('runs on the wasm backend here (tfjs-node-gpu is absent and must fall back)', async () => {
    const b = await loadBackend();
    assert.equal(backendName, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(
      b.notes.some((n) => n.includes('tfjs-node-gpu')),
      'the skipped GPU backend is reported',
    );
  });

  it('router_accuracy on the held-out split beats the best fixed RM', async () => {
    const { prior, report } = await trainOfflineRouter({ data, d: 16, epochs: 30, lr: 0.03, seed: 3, balance: true });
    const m = report.metrics;
    assert.equal(m.split, 'holdout');
    assert.equal(report.evalExamples, 600);
    assert.ok(report.balancedPairs < report.pairs && report.balancedPairs > 0);
    const bestFixed = Math.max(...Object.values(m.fixed).map((x) => x ?? 0));
    assert.ok(m.router_accuracy !== null && m.router_accuracy > bestFixed + 0.05, `router ${m.router_accuracy} vs best fixed ${bestFixed}`);
    assert.deepEqual(Object.keys(m.per_category ?? {}), ['cat-0', 'cat-1', 'cat-2', 'cat-3', 'cat-4', 'cat-5']);
    assert.ok(report.epochLosses.at(-1)! < report.epochLosses[0]!, 'the loss goes down');
    assert.equal(prior.projection, null);
    for (const e of prior.embeddings) assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-12);
    // The metrics are those of the file: recompute them from the parsed prior.
    const parsed = parsePrior(JSON.parse(serializePrior(prior)), 'mem');
    assert.deepEqual(parsed.metrics, prior.metrics);
  });

  it('trains the projection head (width 24 → d 8) and still beats the best fixed RM', async () => {
    const wide = generateSyntheticDataset({ n: 3000, width: 24, accuracy: ACCURACY, seed: 22 });
    const { prior, report } = await trainOfflineRouter({
      data: wide,
      d: 8,
      epochs: 30,
      lr: 0.01,
      seed: 4,
      lossWeights: { bt: 1, cls: 0.9, reg: 0.6 },
    });
    assert.ok(report.projection && prior.projection !== null);
    assert.equal(prior.projection.inputDim, 24);
    assert.equal(prior.projection.weight.length, 8);
    const bestFixed = Math.max(...Object.values(report.metrics.fixed).map((x) => x ?? 0));
    assert.ok(report.metrics.router_accuracy! > bestFixed + 0.05, `router ${report.metrics.router_accuracy} vs best fixed ${bestFixed}`);
    assert.equal(identityOrProject(prior, wide.embeddings[0]!).length, 8);
  });

  it('float64 applyProjection reproduces the tfjs forward pass', () => {
    const model = createRouterModel(
      tf,
      { inputDim: 6, d: 4, numArms: 3, projection: true, lnEps: 1e-5 },
      new CounterRng(9, 't').sequence('init'),
    );
    const rng = new CounterRng(9, 't').sequence('inputs');
    const u = Array.from({ length: 5 }, () => Float64Array.from({ length: 6 }, () => rng.normal()));
    const fromTf = tf.tidy(() => model.embed(tf.tensor2d(u.map((r) => Array.from(r)))).arraySync());
    const { projection } = model.export();
    model.dispose();
    u.forEach((row, i) => {
      const x = applyProjection(projection!, row);
      x.forEach((v, j) => assert.ok(Math.abs(v - fromTf[i]![j]!) < 1e-5, `[${i}][${j}] ${v} vs ${fromTf[i]![j]}`));
    });
  });

  it('is deterministic for a seed and leaves no tensors behind', async () => {
    const small = generateSyntheticDataset({ n: 400, width: 12, seed: 5 });
    const tensorsBefore = tf.memory().numTensors;
    const a = await trainOfflineRouter({ data: small, d: 6, epochs: 5, seed: 8 });
    const b = await trainOfflineRouter({ data: small, d: 6, epochs: 5, seed: 8 });
    const c = await trainOfflineRouter({ data: small, d: 6, epochs: 5, seed: 9 });
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.equal(serializePrior(a.prior), serializePrior(b.prior));
    assert.notEqual(serializePrior(a.prior), serializePrior(c.prior));
  });

  it('holdout 0 evaluates on the training set', async () => {
    const small = generateSyntheticDataset({ n: 200, width: 4, seed: 6 });
    const { report } = await trainOfflineRouter({ data: small, d: 4, epochs: 2, holdout: 0 });
    assert.equal(report.metrics.split, 'train');
    assert.equal(report.evalExamples, 0);
  });

  it('rejects bad settings with RR_INVALID_CONFIG', async () => {
    const small = generateSyntheticDataset({ n: 20, width: 4, seed: 6 });
    const cases: [Parameters<typeof trainOfflineRouter>[0], string][] = [
      [{ data: small, holdout: 1 }, 'holdout'],
      [{ data: small, d: 0 }, 'd'],
      [{ data: small, lr: -1 }, 'lr'],
      [{ data: small, batchSize: 0 }, 'batchSize'],
      [{ data: small, lossWeights: { bt: 0 } }, 'lossWeights'],
      [{ data: small, lossWeights: { cls: Number.NaN } }, 'lossWeights.cls'],
      [{ data: small, d: 8, projection: false }, 'projection'],
    ];
    for (const [options, field] of cases) {
      await assert.rejects(trainOfflineRouter(options), (e) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === field, field);
    }
  });
});

describe('prior files and the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rr-offline-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writePrior / readPrior round-trip exactly', async () => {
    const { prior } = await trainOfflineRouter({ data: generateSyntheticDataset({ n: 300, width: 10, seed: 7 }), d: 5, epochs: 3 });
    const p = join(dir, 'nested', 'prior.json');
    await writePrior(p, prior);
    assert.deepStrictEqual(await readPrior(p), prior);
    assert.equal(readFileSync(p, 'utf8'), serializePrior(prior));
    await assert.rejects(readPrior(join(dir, 'missing.json')), (e) => isRouterError(e, 'RR_IO'));
    writeFileSync(join(dir, 'broken.json'), '{"format": ');
    await assert.rejects(readPrior(join(dir, 'broken.json')), (e) => isRouterError(e, 'RR_INVALID_PRIOR'));
  });

  const run = async (args: string[]): Promise<{ out: string; err: string }> => {
    let out = '';
    let err = '';
    const program = new Command('reward-router').exitOverride();
    registerOfflineCommand(program, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
    await program.parseAsync(['node', 'reward-router', ...args]);
    return { out, err };
  };

  it('offline train --json writes the prior and prints one JSON object', async () => {
    const jsonl = join(dir, 'train.jsonl');
    writeFileSync(jsonl, toJsonl(generateSyntheticDataset({ n: 500, width: 8, seed: 8 })));
    const out = join(dir, 'cli-prior.json');
    const res = await run([
      'offline',
      'train',
      '--data',
      jsonl,
      '--out',
      out,
      '--d',
      '8',
      '--epochs',
      '3',
      '--seed',
      '2',
      '--loss-weights',
      '1,0.5,0',
      '--json',
      '--verbose',
    ]);
    const summary = JSON.parse(res.out);
    assert.equal(summary.backend, 'wasm');
    assert.equal(summary.out, out);
    assert.equal(typeof summary.metrics.router_accuracy, 'number');
    assert.equal(res.err.split('\n').filter(Boolean).length, 3, 'one loss line per epoch');
    const prior = await readPrior(out);
    assert.deepEqual(prior.training.lossWeights, { bt: 1, cls: 0.5, reg: 0 });
    assert.equal(prior.d, 8);

    const table = await run(['offline', 'train', '--data', jsonl, '--out', out, '--d', '4', '--epochs', '1']);
    assert.match(table.out, /router \(argmax s_k\)\s+0\.\d{4}/);
    assert.match(table.out, /backend wasm/);
  });

  it('offline train rejects bad flags with RR_INVALID_CONFIG', async () => {
    const jsonl = join(dir, 'train.jsonl');
    for (const [flag, value, field] of [
      ['--loss-weights', '1,0', 'loss-weights'],
      ['--epochs', '2.5', 'epochs'],
      ['--lr', 'fast', 'lr'],
      ['--backend', 'gpu', 'backend'],
    ]) {
      await assert.rejects(
        run(['offline', 'train', '--data', jsonl, '--out', join(dir, 'x.json'), flag!, value!]),
        (e) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === field,
        flag,
      );
    }
  });
});

describe('the balancing step is an option', () => {
  it('is off by default (all ranking pairs kept) and recorded in the prior', async () => {
    const off = await trainOfflineRouter({ data, d: 16, epochs: 2, seed: 3 });
    assert.equal(off.report.balancedPairs, off.report.pairs);
    assert.equal(off.prior.training.balance, false);
    const on = await trainOfflineRouter({ data, d: 16, epochs: 2, seed: 3, balance: true });
    assert.ok(on.report.balancedPairs < on.report.pairs);
    assert.equal(on.prior.training.balance, true);
  });
});
