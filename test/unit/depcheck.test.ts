// The layer rules (.dependency-cruiser.cjs, CONTRIBUTING.md) hold on the tree, and each rule fails a
// probe tree built to break it: an upward import from src/ into streams/, an impure core, an app that
// imports the simulator or another app, a cycle, a test or devDependency import from library code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'node_modules/.bin/depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** The violations (JSON report) and the exit code of the report CI prints (`err`: non-zero on an error). */
function cruise(cwd: string, dirs: string[]): { code: number | null; violations: Violation[] } {
  const run = (type: string) =>
    spawnSync(BIN, [...dirs, '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', type], {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
    });
  const json = run('json');
  assert.ok(json.stdout.length > 0, `depcruise printed nothing: ${json.stderr}`);
  return { code: run('err').status, violations: (JSON.parse(json.stdout) as { summary: { violations: Violation[] } }).summary.violations };
}

/** A throwaway tree of small modules (path → source) with the project's tsconfig and package.json. */
function probeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-depcheck-'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true },
    }),
  );
  for (const [p, src] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), src);
  }
  return dir;
}

describe('layer rules (dependency-cruiser)', { timeout: 120_000 }, () => {
  it('the tree has no violation', () => {
    const { code, violations } = cruise(ROOT, ['src', 'streams']);
    assert.deepEqual(
      violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
      [],
    );
    assert.equal(code, 0);
  });

  it('fails each rule on a probe tree that breaks it, and lets the CLI stand above both', () => {
    const dir = probeTree({
      'streams/runtime/context.ts': 'export const ctx = 1;\n',
      'streams/scorer/scorer.ts': 'export const scorer = 1;\n',
      'src/sim/world.ts': 'export const world = 1;\n',
      'test/helpers/h.ts': 'export const h = 1;\n',
      'src/operators/up.ts': "import { ctx } from '../../streams/runtime/context.ts';\nexport const up = ctx;\n",
      'src/cli/main.ts': "import { ctx } from '../../streams/runtime/context.ts';\nexport const main = ctx;\n",
      'src/core/impure.ts': "import { readFileSync } from 'node:fs';\nexport const impure = readFileSync;\n",
      'streams/router/router.ts':
        "import { world } from '../../src/sim/world.ts';\nimport { scorer } from '../scorer/scorer.ts';\nexport const router = world + scorer;\n",
      'streams/runtime/topics.ts': "import { router } from '../router/router.ts';\nexport const topics = router;\n",
      'src/bus/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'src/bus/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      'src/records/t.ts': "import { h } from '../../test/helpers/h.ts';\nexport const t = h;\n",
      'src/records/dev.ts': "import * as prettier from 'prettier';\nexport const dev = prettier;\n",
    });
    try {
      const { code, violations } = cruise(dir, ['src', 'streams']);
      assert.notEqual(code, 0, 'violations make a non-zero exit');
      const got = new Set(violations.map((v) => `${v.rule.name}: ${v.from}`));
      for (const want of [
        'src-not-to-streams: src/operators/up.ts',
        'core-is-pure: src/core/impure.ts',
        'apps-not-to-sim-or-eval: streams/router/router.ts',
        'apps-not-to-each-other: streams/router/router.ts',
        'runtime-not-to-apps: streams/runtime/topics.ts',
        'no-circular: src/bus/a.ts',
        'not-to-tests: src/records/t.ts',
        'not-to-dev-dependencies: src/records/dev.ts',
      ])
        assert.ok(got.has(want), `expected ${want}; got ${[...got].join('; ')}`);
      assert.ok(![...got].some((v) => v.endsWith('src/cli/main.ts')), 'src/cli may import streams/');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the floor plan', () => {
  it('streams/ holds folders and an index only; the old per-request scoring path is gone', () => {
    const top = fs
      .readdirSync(path.join(ROOT, 'streams'), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
    assert.deepEqual(top, ['index.ts']);
    const hits: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && /\b(scorePairs\(\{|ScoreBackend)\b/.test(fs.readFileSync(p, 'utf8')))
          hits.push(path.relative(ROOT, p));
      }
    };
    for (const dir of ['src', 'streams', 'bench']) walk(path.join(ROOT, dir));
    assert.deepEqual(hits, []);
  });
});
