/**
 * The CLI's help as a user meets it (issue 15 item 9), and the compiled build (item 7): every
 * command's `--help` is spawned from the sources; the build is compiled into a temporary package
 * and run from there.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { findPackageRoot, packageRoot } from '../../src/paths.ts';
import { kafkaSecurityFlags } from '../../src/security/cli.ts';
import { scenarioNames } from '../../src/sim/scenarios.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  out: string;
  err: string;
  pid: number | undefined;
}

function node(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: opts.timeout ?? 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr, pid: child.pid }),
    );
  });
}

/** The sources, whether or not a dist/ exists in this checkout. */
const fromSource = { ...process.env, REWARD_ROUTER_FROM_SOURCE: '1' };

/** The help's option list: flag (long name) → its description, wrapped lines joined. */
function optionsOf(help: string): Map<string, string> {
  const section = help.split(/^Options:$/m)[1]?.split(/^\S.*:$/m)[0] ?? '';
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of section.split('\n')) {
    const m = /^ {2}(?:-\w, )?(--[\w-]+)(?: [<[][^>\]]*[>\]])?\s+(.*)$/.exec(line);
    if (m) {
      last = m[1]!;
      out.set(last, m[2]!);
    } else if (last && line.trim() !== '') out.set(last, `${out.get(last)} ${line.trim()}`);
  }
  return out;
}

const kafkaCommands = ['start', 'run', 'topics create', 'replay', 'trace'];
const otherCommands = [
  'eval',
  'offline train',
  'sim offline-data',
  'sim text-data',
  'sim verdicts',
  'encoder fetch',
  'rm serve',
  'loop init',
];

/** `reward-router <command> --help` of every command, spawned once each (in parallel). */
const helps = new Map<string, Run>();
const ready = Promise.all(
  [...kafkaCommands, ...otherCommands, ''].map(async (c) => {
    const r = await node(['bin/reward-router.mjs', ...c.split(' ').filter(Boolean), '--help'], { env: fromSource });
    helps.set(c, r);
  }),
);

async function help(command: string): Promise<string> {
  await ready;
  const r = helps.get(command)!;
  assert.equal(r.code, 0, `${command} --help: ${r.err}`);
  return r.out;
}

describe('CLI help', { timeout: 120_000 }, () => {
  it('Kafka SASL/TLS flags are on the commands that talk to Kafka, and only there', async () => {
    assert.equal(kafkaSecurityFlags.length, 8);
    for (const c of kafkaCommands) {
      const opts = optionsOf(await help(c));
      for (const f of kafkaSecurityFlags) assert.ok(opts.has(f), `${c} --help lacks ${f}`);
      assert.ok(!opts.has('--kafka-sasl-password'), `${c}: there must be no password flag`);
    }
    for (const c of otherCommands) {
      const text = await help(c);
      assert.doesNotMatch(text, /--kafka-s/, `${c} --help shows a Kafka security flag`);
      assert.ok(!optionsOf(text).has('--brokers'), `${c} --help shows --brokers`);
    }
    // The root help points to them without making them options of every command.
    const root = await help('');
    assert.ok(!optionsOf(root).has('--kafka-ssl'));
    for (const f of kafkaSecurityFlags) assert.ok(root.includes(f), `root --help does not name ${f}`);
  });

  it('help promises no flag that does not exist', async () => {
    const text = await help('eval');
    assert.doesNotMatch(text, /--from-traces/);
    assert.ok(optionsOf(text).has('--traces-out'));
  });

  it("defaults are values or words, never this process's PID", async () => {
    await ready;
    const run = helps.get('run')!;
    const instance = optionsOf(run.out).get('--instance');
    assert.ok(instance !== undefined, 'run --help has --instance');
    assert.match(instance, /default: <hostname>-<pid>/);
    assert.doesNotMatch(instance, /default: "?\d+"?\)/, 'a digits-only default is a PID');
    for (const [c, r] of helps)
      assert.doesNotMatch(r.out, new RegExp(`default: "?${r.pid}"?\\)`), `${c || 'root'} --help shows its own PID ${r.pid} as a default`);
  });

  it('every scenario list is the one of src/sim/scenarios.ts', async () => {
    for (const c of ['eval', 'start', 'loop init', 'sim verdicts']) {
      const desc = optionsOf(await help(c)).get('--scenario');
      assert.ok(desc !== undefined, `${c} has --scenario`);
      const listed = desc
        .replace(/^simulator scenario: /, '')
        .split(/\s*\|\s*/)
        .map((s) => s.split(/\s/)[0]!);
      assert.deepEqual(listed, c === 'eval' ? [...scenarioNames, 'all'] : [...scenarioNames], `${c}: ${desc}`);
    }
  });

  it('required flags say so, optional ones do not', async () => {
    const required: Record<string, string[]> = {
      'sim offline-data': ['--out'],
      'sim text-data': ['--out'],
      'sim verdicts': ['--out'],
      'offline train': ['--data', '--out'],
      'loop init': ['--out'],
      'topics create': ['--config', '--brokers'],
      run: ['--config', '--brokers'],
      replay: ['--config', '--namespace', '--into'],
      trace: ['--namespace', '--brokers'],
    };
    for (const c of [...kafkaCommands, ...otherCommands]) {
      const opts = optionsOf(await help(c));
      assert.ok(opts.size > 1, `${c}: options parsed`);
      for (const [flag, desc] of opts) {
        assert.equal(/\(required\)$/.test(desc), (required[c] ?? []).includes(flag), `${c} ${flag}: ${desc}`);
      }
    }
    // Conditionally required flags say when.
    assert.match(optionsOf(await help('eval')).get('--prior')!, /required with --stream/);
    assert.match(optionsOf(await help('replay')).get('--brokers')!, /required unless --record/);
    assert.match(optionsOf(await help('run')).get('--rm')!, /required for `run scorer`/);
    // And commander enforces the unconditional ones.
    const missing = await node(['bin/reward-router.mjs', 'sim', 'verdicts'], { env: fromSource });
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /required option '--out <file>' not specified/);
  });
});

describe('package root', () => {
  it('is found from the sources and from a compiled dist/ alike', () => {
    assert.equal(packageRoot(), ROOT.replace(/\/$/, ''));
    assert.equal(findPackageRoot(join(ROOT, 'dist', 'src', 'paths.js')), ROOT.replace(/\/$/, ''));
  });

  it('skips a package.json of another name and fails without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-root-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'reward-router' }));
      mkdirSync(join(dir, 'inner', 'dist'), { recursive: true });
      writeFileSync(join(dir, 'inner', 'package.json'), JSON.stringify({ name: 'other' }));
      assert.equal(findPackageRoot(join(dir, 'inner', 'dist', 'x.js')), dir);
      rmSync(join(dir, 'package.json'));
      assert.throws(() => findPackageRoot(join(dir, 'inner', 'dist', 'x.js')), /no package.json named "reward-router"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// `npm run build`'s compilation, into a package of its own under the temp dir (package.json, bin/,
// dist/, links to data/, schemas/ and node_modules): this checkout's dist/ is left alone.
describe('the compiled build', { timeout: 240_000 }, () => {
  const pkg = mkdtempSync(join(tmpdir(), 'rr-build-'));
  after(() => rmSync(pkg, { recursive: true, force: true }));

  it('compiles, runs --help from dist/ and finds the shipped files', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = await node([tsc, '-p', 'tsconfig.build.json', '--outDir', join(pkg, 'dist')], { timeout: 180_000 });
    assert.equal(build.code, 0, `tsc: ${build.out}${build.err}`);
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    for (const d of ['data', 'schemas', 'node_modules']) symlinkSync(join(ROOT, d), join(pkg, d), 'dir');
    assert.doesNotMatch(
      readFileSync(join(pkg, 'dist', 'src', 'cli', 'main.js'), 'utf8'),
      /from '\.[^']*\.ts'/,
      'relative .ts specifiers rewritten',
    );

    const env = { ...process.env, REWARD_ROUTER_FROM_SOURCE: '' };
    const rootHelp = await node([join(pkg, 'bin', 'reward-router.mjs'), '--help'], { cwd: pkg, env });
    assert.equal(rootHelp.code, 0, rootHelp.err);
    assert.match(rootHelp.out, /Usage: reward-router/);
    const startHelp = await node([join(pkg, 'dist', 'src', 'cli', 'main.js'), 'start', '--help'], { cwd: pkg, env });
    assert.equal(startHelp.code, 0, startHelp.err);
    assert.match(startHelp.out, /--kafka-sasl-mechanism/);

    // --help loads the command registrations only: no package but commander (kafkajs, tfjs,
    // OpenTelemetry, avsc, RxJS load in the actions), none of the apps, none of src/cli/actions/.
    writeFileSync(
      join(pkg, 'log-hook.mjs'),
      'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write(`LOADED ${r.url}\\n`); return r; }\n',
    );
    writeFileSync(join(pkg, 'log.mjs'), "import { register } from 'node:module'; register('./log-hook.mjs', import.meta.url);\n");
    for (const c of [[], ['start'], ['run'], ['eval'], ['offline', 'train'], ['rm', 'serve']]) {
      const r = await node(['--import', join(pkg, 'log.mjs'), join(pkg, 'bin', 'reward-router.mjs'), ...c, '--help'], { cwd: pkg, env });
      assert.equal(r.code, 0, r.err);
      const loaded = [...r.err.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
      assert.ok(
        loaded.some((u) => u.endsWith('/dist/src/cli/main.js')),
        `${c.join(' ')}: the hook saw the CLI load`,
      );
      const heavy = loaded.filter(
        (u) =>
          (u.includes('/node_modules/') && !u.includes('/node_modules/commander/')) || /\/dist\/(streams\/|src\/cli\/actions\/)/.test(u),
      );
      assert.deepEqual(heavy, [], `${c.join(' ') || 'root'} --help loaded ${heavy.join(', ')}`);
    }

    // A real command from dist/: the profiles (data/) and the Avro schemas (schemas/) resolve from the package root.
    const out = join(pkg, 'v.jsonl');
    const verdicts = await node([join(pkg, 'bin', 'reward-router.mjs'), 'sim', 'verdicts', '--out', out, '--batches', '1', '--d', '4'], {
      cwd: pkg,
      env,
    });
    assert.equal(verdicts.code, 0, verdicts.err);
    assert.match(verdicts.out, new RegExp(`to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const start = await node([join(pkg, 'bin', 'reward-router.mjs'), 'start', '--batches', '2', '--d', '8', '--epochs', '1'], {
      cwd: pkg,
      env,
      timeout: 120_000,
    });
    assert.equal(start.code, 0, start.err);
    assert.match(start.out, /batches: 2 /);
    // The temporary package has no src/: bin/reward-router.mjs can only have run dist/.
  });
});
