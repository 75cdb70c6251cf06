// eval --stream: recorded verdicts as the online stream. A verdict file written from the simulator's
// own draws gives exactly the simulator's numbers; malformed lines are typed errors naming the line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RouterError } from '../../src/core/errors.ts';
import { runEval } from '../../src/eval/run.ts';
import { defaultPool } from '../../src/sim/pool.ts';
import { parseVerdicts, verdictLineOf } from '../../src/eval/verdicts.ts';
import { serializePrior } from '../../src/core/prior.ts';
import { selectModels } from '../../src/sim/profiles.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { scenarioConfig } from '../../src/sim/scenarios.ts';
import { onlineStreamFromWorld } from '../../src/sim/stream.ts';
import { buildWorld } from '../../src/sim/world.ts';

const pool = loadProfilesFile('data/rewardbench2-profiles.json');
const small = { batches: 5, d: 16, offlineExamples: 600, promptsPerBatch: 8 };

describe('eval --stream', () => {
  it("reproduces the simulator's numbers for the same draws, every method", async () => {
    const sim = await runEval({ pool, scenarios: ['stationary'], seeds: [3], sim: small, offline: { epochs: 2 } });
    const world = buildWorld(selectModels(pool, defaultPool), scenarioConfig('stationary', { ...small, seed: 3 }), 3);
    const stream = onlineStreamFromWorld(world);
    const lines: string[] = [];
    for (let t = 0; t < small.batches; t++)
      for (const p of stream.generateBatch(t).prompts) for (const pair of p.pairs) lines.push(verdictLineOf(t, p, pair, defaultPool));
    const verdicts = parseVerdicts(lines.join('\n'), 'mem', defaultPool, small.d);
    const rec = await runEval({
      pool,
      scenarios: [],
      seeds: [3],
      sim: small,
      prior: sim.runs[0]!.prior,
      stream: { lines: verdicts, source: 'mem', scenario: 'stationary' },
    });
    assert.deepEqual(Object.keys(rec.configs), ['stationary']);
    const a = sim.runs[0]!.traces;
    const b = rec.runs[0]!.traces;
    assert.deepEqual(
      b.map((t) => t.name),
      a.map((t) => t.name),
    );
    a.forEach((tr, i) => {
      assert.deepEqual(b[i]!.correct, tr.correct, tr.name);
      assert.deepEqual(b[i]!.pairs, tr.pairs, tr.name);
      assert.deepEqual(b[i]!.selected, tr.selected, tr.name);
    });
  });

  it('rejects malformed lines with RR_INVALID_VERDICTS naming the line and field', () => {
    const ok = { id: 'p1', category: 'Math', context: [1, 0], rms: { A: { correct: true }, B: { chosen: 1, rejected: 2 } } };
    const parse = (...ls: unknown[]) =>
      parseVerdicts(ls.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'), 'f.jsonl', ['A', 'B'], 2);
    const v = parse(ok);
    assert.equal(v[0]!.rms['B']!.correct, false);
    assert.equal(v[0]!.rms['B']!.margin, 1);
    const cases: [unknown[], RegExp][] = [
      [['{nope'], /f\.jsonl:1: \(line\): not valid JSON/],
      [[ok, ok], /f\.jsonl:2: id: duplicate/],
      [[{ ...ok, context: [1] }], /context: expected an array of 2 numbers/],
      [[{ ...ok, context: [1, 'x'] }], /context\[1\]/],
      [[{ ...ok, context: undefined }], /expected "context" \(numbers\) or "text"/],
      [[{ ...ok, rms: { A: { correct: true } } }], /rms\["B"\]: missing/],
      [[{ ...ok, rms: { A: { correct: 'yes' }, B: { correct: true } } }], /rms\["A"\]\.correct/],
      [[{ ...ok, rms: { A: { correct: true, margin: -1 }, B: { correct: true } } }], /rms\["A"\]\.margin/],
      [[{ ...ok, gold: 'C' }], /gold: expected "A" or "B"/],
      [
        [
          { ...ok, batch: 0 },
          { ...ok, id: 'p2' },
        ],
        /"batch" must be on every line or on none/,
      ],
      [[''], /no verdict lines/],
    ];
    for (const [ls, re] of cases) {
      assert.throws(
        () => parse(...ls),
        (e: unknown) => e instanceof RouterError && e.code === 'RR_INVALID_VERDICTS' && re.test(e.message),
        String(re),
      );
    }
    // text instead of context: a hashed bag of words of the right width, unit norm.
    const t = parse({ ...ok, context: undefined, text: 'Solve x + 1 = 2' })[0]!.context;
    assert.equal(t.length, 2);
    assert.ok(Math.abs(Math.hypot(...t) - 1) < 1e-12);
  });

  it('the CLI needs --prior with --stream, and says where it wrote the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-stream-'));
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, ['bin/reward-router.mjs', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const file = join(dir, 'v.jsonl');
    cli('sim', 'verdicts', '--out', file, '--batches', '2', '--d', '8', '--seed', '2');
    assert.ok(readFileSync(file, 'utf8').split('\n').length > 100);
    assert.throws(
      () => cli('eval', '--stream', file, '--no-progress'),
      (e: { status: number; stderr: string }) => e.status === 2 && /needs --prior/.test(e.stderr),
    );
    const sim = await runEval({ pool, scenarios: ['stationary'], seeds: [2], sim: { ...small, d: 8 }, offline: { epochs: 1 } });
    const prior = join(dir, 'prior.json');
    writeFileSync(prior, serializePrior(sim.runs[0]!.prior));
    const out = cli(
      'eval',
      '--stream',
      file,
      '--prior',
      prior,
      '--seeds',
      '1',
      '--first-seed',
      '2',
      '--d',
      '8',
      '--horizons',
      '1',
      '--methods',
      'bayesian-router,offline-only',
      '--no-progress',
      '--report',
      join(dir, 'r.html'),
    );
    assert.match(out, /stream 1 \|/);
    assert.match(out, /recorded verdicts from/);
    assert.match(out, new RegExp(`wrote the report to ${join(dir, 'r.html').replace(/[.]/g, '\\.')}`));
  });
});
