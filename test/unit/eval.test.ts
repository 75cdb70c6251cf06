import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runEval } from '../../src/eval/run.ts';
import { summarizeEval } from '../../src/eval/summary.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';

const pool = loadProfilesFile('data/rewardbench2-profiles.json');
const small = { batches: 6, d: 16, offlineExamples: 600, promptsPerBatch: 8 };

async function evalOnce() {
  const r = await runEval({ pool, scenarios: ['stationary', 'shift'], seeds: [1, 2], sim: small, offline: { epochs: 3 } });
  return { r, s: summarizeEval(r, [3, 6]) };
}

describe('eval loop', () => {
  it('runs every method on the same stream and is deterministic', async () => {
    const a = await evalOnce();
    const b = await evalOnce();
    assert.deepEqual(JSON.stringify(a.s), JSON.stringify(b.s));
    const names = new Set(a.s.map((m) => m.name));
    for (const n of [
      'bayesian-router',
      'laser',
      'random',
      'offline-only',
      'online-only',
      'majority-vote',
      'mean-ensemble',
      'oracle',
      'fixed:gpt-4.1 (judge)',
    ])
      assert.ok(names.has(n), n);
    for (const m of a.s) {
      assert.ok(m.accuracy >= 0 && m.accuracy <= 1);
      const oracle = a.s.find((o) => o.name === 'oracle' && o.scenario === m.scenario && o.horizon === m.horizon)!;
      assert.ok(oracle.accuracy >= m.accuracy - 1e-12, `${m.name} beats the oracle`);
      assert.equal(m.rmCallsPerPair, ['majority-vote', 'mean-ensemble', 'oracle'].includes(m.name) ? 4 : 1);
    }
    // every pair of every batch is counted once per method
    const tr = a.r.runs[0]!.traces[0]!;
    assert.deepEqual(tr.pairs, new Array(6).fill(8 * 15));
  });

  it('a fixed RM routes every pair to that RM', async () => {
    const { s } = await evalOnce();
    const f = s.find((m) => m.name === 'fixed:gpt-4.1 (judge)' && m.horizon === 6)!;
    for (const byCat of Object.values(f.selectionShare!['gpt-4.1 (judge)']!)) assert.equal(byCat, 1);
  });
});

describe('reward-router eval (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rr-eval-'));
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, ['bin/reward-router.mjs', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('--json prints one object with settings and methods', () => {
    const out = cli(
      'eval',
      '--scenario',
      'stationary',
      '--seeds',
      '1',
      '--batches',
      '3',
      '--horizons',
      '2',
      '--d',
      '8',
      '--offline-epochs',
      '1',
      '--json',
      '--no-progress',
      '--report',
      join(dir, 'r.html'),
    );
    const j = JSON.parse(out) as {
      settings: Record<string, unknown>;
      methods: { name: string; accuracy: number; accuracyStd: number; rmCallsPerPair: number; perCategory: object }[];
    };
    assert.ok(j.settings);
    const br = j.methods.find((m) => m.name === 'bayesian-router')!;
    for (const k of ['accuracy', 'accuracyStd', 'rmCallsPerPair', 'perCategory']) assert.ok(k in br, k);
    assert.match(readFileSync(join(dir, 'r.html'), 'utf8'), /<svg/);
  });

  it('a malformed profile file is a typed error naming the field', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ metric: 'pairwise_accuracy', categories: ['Math'], models: { A: { Math: 'high' } } }));
    assert.throws(
      () => cli('eval', '--profiles', bad, '--models', 'A', '--no-progress'),
      (e: { status: number; stderr: string }) =>
        e.status === 2 && /RR_INVALID_PROFILE/.test(e.stderr) && /models\["A"\]\.Math/.test(e.stderr),
    );
  });

  it('an unknown RM name is a typed error', () => {
    assert.throws(
      () => cli('eval', '--models', 'nope,gpt-4.1 (judge)', '--no-progress'),
      (e: { status: number; stderr: string }) => e.status === 2 && /nope/.test(e.stderr),
    );
  });
});
