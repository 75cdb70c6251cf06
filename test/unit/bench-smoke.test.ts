/**
 * Every benchmark in bench/ at a tiny size (issue 19): each runs as its own child process
 * (`node --import tsx bench/<x>.bench.ts <tiny flags>`, REWARD_ROUTER_FROM_SOURCE=1) under a hard
 * timeout, must exit 0 and must print its result lines with finite figures. A change of record
 * shape or API that leaves a bench waiting for ever, or printing nothing, fails here instead of
 * the next time someone runs the bench. What a bench needs and this machine lacks (the encoder
 * model, numpy/scipy, onnxruntime, a Kafka broker) skips its test with the reason; the bench that
 * needs a broker runs in test/integration/bench-smoke-kafka.test.ts. No wall-clock figure is
 * asserted on: only that one was printed and is a number.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cell, describeRun, figure, pythonEnv, ROOT, runBench, SMOKE_TIMEOUT_MS, type BenchRun } from '../../bench/smoke.ts';
import { defaultEncoderDir, encoderInstalled } from '../../src/encoder/fetch.ts';

/** A bench's test: its own limit plus the time to spawn and read it. */
const LIMIT = { timeout: SMOKE_TIMEOUT_MS + 15_000 };

function assertRan(r: BenchRun): void {
  assert.ok(!r.timedOut && r.code === 0, describeRun(r));
}

/** The first of `pythons` that exists and imports `modules`, or why none does. */
function pythonWith(modules: string, pythons: readonly (string | undefined)[]): { python: string } | { reason: string } {
  const candidates = pythons.filter((p): p is string => p !== undefined && p !== '' && (p === 'python3' || existsSync(p)));
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', `import ${modules}`], { env: pythonEnv(), encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python };
  }
  return { reason: `no Python here imports ${modules} (tried ${candidates.join(', ')})` };
}

const venvPython = join(ROOT, 'bench', '.venv', 'bin', 'python');
/** The Pythons the Thompson bench itself tries, in its order (with --no-install it creates none). */
const numpy = pythonWith('numpy, scipy.linalg', [venvPython, 'python3']);
const encoderDir = defaultEncoderDir();
const haveEncoder = encoderInstalled(encoderDir);
const noEncoder = `no encoder model in ${encoderDir}: \`node --import tsx src/cli/main.ts encoder fetch\` installs it (.ci/run does before the tests)`;
/** encoder_python_speed.py's Python: $BENCH_PYTHON (e.g. the venv its docstring makes) first. */
const onnxPython = haveEncoder
  ? pythonWith('numpy, onnxruntime, tokenizers', [process.env.BENCH_PYTHON, venvPython, 'python3'])
  : { reason: noEncoder };

/**
 * Where each file of bench/ is exercised. A new bench must get a smoke test (here, or in the
 * Kafka integration file) and an entry, or this test fails.
 */
const covered: Record<string, string> = {
  'thompson.bench.ts': 'here: --tiny --no-numpy',
  'reference_numpy.py': 'here: the Thompson bench with its NumPy column',
  'encoder.bench.ts': 'here',
  'encoder_python_speed.py': 'here',
  'scorer.bench.ts': 'here',
  'tracing.bench.ts': 'here (in-process bus)',
  'otlp-receiver.ts': 'here: the tracing bench starts it',
  'pipeline.bench.ts': 'test/integration/bench-smoke-kafka.test.ts (needs a broker)',
  'pipeline-app.ts': 'test/integration/bench-smoke-kafka.test.ts: the pipeline bench with --processes',
  'pipeline-setup.ts': 'test/integration/bench-smoke-kafka.test.ts: imported by the pipeline bench',
  'smoke.ts': 'these tests',
};

describe('benchmarks at a tiny size (bench/)', () => {
  it('every file in bench/ has a smoke test', () => {
    const files = readdirSync(join(ROOT, 'bench'), { withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|mjs|js|py)$/.test(e.name))
      .map((e) => e.name);
    const missing = files.filter((f) => covered[f] === undefined);
    assert.deepEqual(missing, [], `bench files with no smoke test: ${missing.join(', ')} (add one and list it in \`covered\`)`);
    const gone = Object.keys(covered).filter((f) => !files.includes(f));
    assert.deepEqual(gone, [], `listed in \`covered\` but not in bench/: ${gone.join(', ')}`);
  });

  it('Thompson sampling (--tiny --no-numpy): ours, ref-TS and their ratio, the kernel A/B, the update speedup', LIMIT, async () => {
    const r = await runBench('bench/thompson.bench.ts', ['--tiny', '--no-numpy']);
    assertRan(r);
    assert.match(r.out, /^NumPy column SKIPPED: --no-numpy$/m);
    assert.ok(cell(r, 'ours/ref-TS', ['64', '4'], 'ours ÷ ref-TS') > 0, 'ours ÷ ref-TS is positive');
    cell(r, 'ours', ['64', '4'], 'ours decisions/s');
    cell(r, 'kernel speedup', ['64', '4'], 'quadFormsBatch kernel speedup');
    cell(r, 'speedup', ['64'], 'rank-one update ÷ refactorization');
  });

  it(
    'Thompson sampling with the NumPy/SciPy reference (--tiny --no-install)',
    { ...LIMIT, skip: 'reason' in numpy ? `${numpy.reason}: .ci/run's python-deps step installs numpy and scipy` : false },
    async () => {
      const r = await runBench('bench/thompson.bench.ts', ['--tiny', '--no-install']);
      assertRan(r);
      assert.doesNotMatch(r.out, /NumPy column SKIPPED/, describeRun(r));
      cell(r, 'ours/NumPy', ['64', '4'], 'ours ÷ NumPy');
      cell(r, 'ours/NumPy fastest', ['64', '4'], "ours ÷ NumPy's fastest form");
    },
  );

  it(
    'text encoder (2 prompts × 3 responses, 1 batch, 1 repeat): encoder pairs/s, router pairs/s with and without it',
    { ...LIMIT, skip: haveEncoder ? false : noEncoder },
    async () => {
      const r = await runBench('bench/encoder.bench.ts', ['--prompts', '2', '--responses', '3', '--batches', '1', '--repeats', '1']);
      assertRan(r);
      figure(r, /^ {2}one prompt per call +([\d.]+) /m, 'encoder pairs/s, one prompt per call');
      figure(r, /^ {2}whole batch per call +([\d.]+) /m, 'encoder pairs/s, whole batch per call');
      figure(r, /^ {2}vectors supplied +([\d.]+)$/m, 'router pairs/s, vectors supplied');
      figure(r, /^ {2}encoder in the path +[\d.]+ +\((\d+)× slower\)$/m, 'router: slower with the encoder in the path');
    },
  );

  it(
    'text encoder under Python onnxruntime (bench/encoder_python_speed.py, 12 texts)',
    {
      ...LIMIT,
      skip:
        'reason' in onnxPython
          ? `${onnxPython.reason}: bench/encoder_python_speed.py says what to install, BENCH_PYTHON=<its python> to use it`
          : false,
    },
    async () => {
      const python = 'python' in onnxPython ? onnxPython.python : 'python3';
      const r = await runBench('bench/encoder_python_speed.py', [encoderDir, '12'], { python });
      assertRan(r);
      for (const bs of [1, 6, 64]) figure(r, new RegExp(`^batch +${bs}: ([\\d.]+) texts/s$`, 'm'), `texts/s at batch ${bs}`);
    },
  );

  it('scorer (1 batch, 1 repeat, 1 ms server): tfjs wasm micro-batching ratios, http calls/s against the ideal', LIMIT, async () => {
    const r = await runBench('bench/scorer.bench.ts', ['--batches', '1', '--repeats', '1', '--latency', '1']);
    assertRan(r);
    cell(r, 'micro-batched ÷ unbatched', ['wasm'], 'wasm: micro-batched ÷ unbatched');
    cell(r, 'micro-batched ÷ per request', ['wasm'], 'wasm: micro-batched ÷ one call per request');
    for (const c of ['8', '32']) cell(r, 'ratio', [c], `http at concurrency ${c}: calls/s ÷ ideal`);
  });

  it('tracing, in-process bus (2 batches × 4 prompts, 1 repeat, 50 % sampled): on/off ratios', LIMIT, async () => {
    const r = await runBench('bench/tracing.bench.ts', ['--batches', '2', '--repeats', '1', '--prompts', '4', '--sample', '0.5']);
    assertRan(r);
    figure(r, /^ {2}tracing off +: (\d+) pairs\/s/m, 'pairs/s, tracing off');
    figure(r, /^ {2}on\/off, every trace: ([\d.]+)x of medians/m, 'on/off, every trace');
    figure(r, /^ {2}on\/off, 50 % sampled: ([\d.]+)x of medians/m, 'on/off, 50 % sampled');
    assert.ok(figure(r, /exported (\d+), failed/, 'spans exported') > 0, 'spans were exported');
  });

  it(
    'pipeline on a real broker',
    { skip: 'needs a Kafka broker: test/integration/bench-smoke-kafka.test.ts runs it (npm test starts one)' },
    () => {},
  );
});
