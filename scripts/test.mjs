#!/usr/bin/env node
// `npm test`: unit tests, then integration tests against a real Kafka broker that this script starts
// (deploy/kafka/kafka.mjs) and always stops.
//
//   node scripts/test.mjs                 unit + integration
//   node scripts/test.mjs --unit          unit only (no Java, no broker)
//   node scripts/test.mjs smoke posterior only test files whose path contains one of these words
//
// Each group is ONE `node --import tsx --test --test-reporter=spec <files>` run, so the runner prints its
// closing summary (ℹ tests / ℹ pass / ℹ fail); the last line is "N passed, N failed" over both groups.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--unit');
if (unknownFlags.length > 0) {
  console.error(`unknown option(s): ${unknownFlags.join(' ')}\nusage: node scripts/test.mjs [--unit] [path filters...]`);
  process.exit(2);
}

/** Files under dir (relative to the repo root) ending in .test.ts, sorted, filtered by the CLI words. */
function findTests(dir) {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(path.relative(ROOT, p));
    }
  };
  walk(abs);
  found.sort();
  return filters.length === 0 ? found : found.filter((f) => filters.some((w) => f.includes(w)));
}

const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*m/g, '');

/** The runner's closing summary counts (last occurrence of each line). */
function parseSummary(output) {
  const counts = {};
  for (const m of stripAnsi(output).matchAll(/^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)\s*$/gm)) {
    counts[m[1]] = Number(m[2]);
  }
  return counts;
}

let currentChild = null;

/** Runs one group; resolves { code, passed, failed }. */
function runGroup(name, files, extraArgs, env) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    console.log(`\n▶ ${name}: ${files.length} file(s)`);
    const nodeArgs = ['--import', 'tsx', '--test', '--test-reporter=spec', ...extraArgs, ...files];
    // The tests exercise the sources: a dist/ left by `npm run build` may be older than them (cli-help.test.ts
    // builds its own copy to test the compiled CLI).
    const childEnv = { REWARD_ROUTER_FROM_SOURCE: '1', ...process.env, ...env };
    if (process.stdout.isTTY && childEnv.FORCE_COLOR === undefined && childEnv.NO_COLOR === undefined) {
      childEnv.FORCE_COLOR = '1'; // the child writes into a pipe; keep the colours a terminal would get
    }
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    currentChild = child;
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk.toString('utf8');
    });
    child.on('close', (code, signal) => {
      currentChild = null;
      const s = parseSummary(output);
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      let passed = s.pass ?? 0;
      let failed = (s.fail ?? 0) + (s.cancelled ?? 0);
      if (s.tests === undefined) {
        // The runner died before its summary (crash, signal): count the group as one failure.
        console.log(`✖ ${name}: test runner ended (code ${code}, signal ${signal}) without a summary`);
        passed = 0;
        failed = Math.max(failed, 1);
      } else if (code !== 0 && failed === 0) {
        failed = 1; // non-zero exit with no failing test (e.g. an error outside any test)
      }
      console.log(`■ ${name}: ${passed} passed, ${failed} failed (${seconds} s, exit ${code ?? signal})`);
      resolve({ code: code ?? 1, passed, failed });
    });
  });
}

let broker = null;
let brokerStarting = null; // the startBroker() promise while the broker starts
const abortStart = new AbortController();
let exiting = false;

async function shutdown(signal) {
  if (exiting) return;
  exiting = true;
  console.error(`\n${signal}: stopping tests and broker`);
  currentChild?.kill(signal);
  abortStart.abort(); // a broker still starting stops itself and removes its temp dir
  await brokerStarting?.catch(() => {});
  await broker?.stop().catch((err) => console.error(`broker stop failed: ${err.message}`));
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

async function main() {
  const results = [];

  const unitFiles = findTests('test/unit');
  if (unitFiles.length === 0) console.log('\n▶ unit: no test files (test/unit/**/*.test.ts), skipped');
  else results.push(await runGroup('unit', unitFiles, [], {}));

  if (!unitOnly) {
    const integrationFiles = findTests('test/integration');
    if (integrationFiles.length === 0) {
      console.log('\n▶ integration: no test files (test/integration/**/*.test.ts), skipped');
    } else {
      const { ensureJars, startBroker } = await import('../deploy/kafka/kafka.mjs');
      try {
        ensureJars();
        const t0 = performance.now();
        brokerStarting = startBroker({ signal: abortStart.signal });
        broker = await brokerStarting;
        console.log(
          `\n▶ kafka broker ${broker.brokers} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
            `(format ${broker.timings.formatMs} ms, start-to-ready ${broker.timings.readyMs} ms), log ${broker.logFile}`,
        );
        if (!exiting) {
          results.push(
            await runGroup('integration', integrationFiles, ['--test-concurrency=1'], {
              KAFKA_BROKERS: broker.brokers,
              KAFKAJS_NO_PARTITIONER_WARNING: '1',
            }),
          );
        }
      } catch (err) {
        console.log(`✖ integration: ${err instanceof Error ? err.message : err}`);
        results.push({ code: 1, passed: 0, failed: 1 });
      } finally {
        await broker?.stop();
        broker = null;
      }
    }
  }

  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`\n${passed} passed, ${failed} failed`);
  return results.every((r) => r.code === 0) && failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    if (!exiting) process.exit(code);
  },
  async (err) => {
    console.error(err);
    await broker?.stop().catch(() => {});
    process.exit(1);
  },
);
