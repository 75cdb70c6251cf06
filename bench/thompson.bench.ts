/**
 * Thompson-sampling throughput and posterior-update cost.
 *
 *   npm run bench                 full run: d ∈ {64, 256, 576, 768} × K ∈ {4, 8}
 *   npm run bench -- --quick      d ∈ {64, 576}, K = 8
 *   npm run bench -- --json       one machine-readable JSON object on stdout
 *   npm run bench -- --js-kernel  every column with the JS quadFormsBatch kernel (no wasm SIMD)
 *   npm run bench -- --tiny       d = 64, K = 4 only (a few seconds: the smoke test's size)
 *   npm run bench -- --no-numpy   no NumPy column (reported SKIPPED)
 *   npm run bench -- --no-install the NumPy column only from a Python that already has numpy and
 *                                 scipy: never creates bench/.venv nor runs pip (else SKIPPED)
 *
 * Per (d, K), a batch of 480 unit contexts routed against K posteriors that
 * have had 200 rank-one updates each (so the factors are dense), in
 * decisions per second (= pairs routed per second):
 *   ours    thompsonBatch (scalar form: s_k = <x, μ_k> + sqrt(xᵀΛ_k⁻¹x)·ε_k)
 *   ref-TS  the authors' full-vector draw in TypeScript float64: per pair and
 *           arm, z ~ N(0, I_d), w̃ = μ + U⁻¹z (back solve with the cached
 *           factor), score <w̃, x>, argmax
 *   NumPy   the same full-vector draw in NumPy/SciPy (bench/reference_numpy.py),
 *           vectorized over the batch per arm
 *   fresh   a Cholesky of Λ_k per pair per arm, then the draw; measured on a
 *           few pairs and reported per decision
 * and per update: ArmPosterior.update (rank-one) vs refresh() (full Cholesky).
 * Also, same process: ours and K quadFormsBatch calls alone with the wasm SIMD
 * kernel against the JS kernel (setQuadFormsKernel('js')).
 *
 * Progress goes to stderr; the table (or the JSON) to stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setQuadFormsKernel, quadFormsKernel } from '../src/core/kernels/quadforms.ts';
import { backSolve, choleskyUpper, forwardSolve, quadFormsBatch } from '../src/core/linalg.ts';
import { ArmPosterior } from '../src/core/posterior.ts';
import { CounterRng } from '../src/core/rng.ts';
import { argmax, thompsonBatch } from '../src/core/thompson.ts';
import type { ContextBatch } from '../src/core/context.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const N = 480;
const UPDATES = 200;
const LAMBDA0 = 50;
const GOAL = { d: 576, K: 8, numpyRatio: 0.5, numpyFastRatio: 1, updateSpeedup: 20 };

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const JSON_OUT = argv.includes('--json');
const JS_KERNEL = argv.includes('--js-kernel');
const TINY = argv.includes('--tiny');
const NO_NUMPY = argv.includes('--no-numpy');
const NO_INSTALL = argv.includes('--no-install');
const known = ['--quick', '--json', '--js-kernel', '--tiny', '--no-numpy', '--no-install'];
const unknown = argv.filter((a) => !known.includes(a));
if (unknown.length > 0) {
  process.stderr.write(`unknown option(s): ${unknown.join(' ')}; known: ${known.join(' ')}\n`);
  process.exit(2);
}
if (JS_KERNEL) setQuadFormsKernel('js');
const DS = TINY ? [64] : QUICK ? [64, 576] : [64, 256, 576, 768];
const KS = TINY ? [4] : QUICK ? [8] : [4, 8];

const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

// ---------------------------------------------------------------- timing

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `fn` `warmup` times, then `repeats` timed times; returns the times in ms. */
function time(fn: () => void, warmup: number, repeats: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return ts;
}

// ---------------------------------------------------------------- fixtures

/** A fast, non-cryptographic normal generator for the reference draws (mulberry32 + Box–Muller, both outputs used). */
class FastNormal {
  #s: number;
  #spare = 0;
  #has = false;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  #u(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }
  next(): number {
    if (this.#has) {
      this.#has = false;
      return this.#spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.#u()));
    const a = 2 * Math.PI * this.#u();
    this.#spare = r * Math.sin(a);
    this.#has = true;
    return r * Math.cos(a);
  }
  fill(z: Float64Array): void {
    for (let i = 0; i < z.length; i++) z[i] = this.next();
  }
}

function unitVector(g: FastNormal, d: number): Float64Array {
  const x = new Float64Array(d);
  g.fill(x);
  let n = 0;
  for (let i = 0; i < d; i++) n += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < d; i++) x[i] = x[i]! * inv;
  return x;
}

/** K posteriors (prior λ0·I centred on a random unit e) after UPDATES rank-one updates each. */
function makeArms(d: number, K: number, seed: number): ArmPosterior[] {
  const g = new FastNormal(seed);
  const u = new CounterRng(seed, 'bench').sequence('reward');
  return Array.from({ length: K }, () => {
    const p = ArmPosterior.fromPrior(unitVector(g, d), { lambda0: LAMBDA0, sigma2: 1, refreshEvery: 0 });
    for (let t = 0; t < UPDATES; t++) p.accumulate(unitVector(g, d), u.uniform());
    p.finish();
    return p;
  });
}

function makeBatch(d: number, seed: number): ContextBatch {
  const g = new FastNormal(seed);
  const X = new Float64Array(N * d);
  for (let n = 0; n < N; n++) X.set(unitVector(g, d), n * d);
  return { pairIds: Array.from({ length: N }, (_, n) => `bench-pair-${n}`), X, d };
}

// ---------------------------------------------------------------- the contenders

/**
 * The authors' full-vector draw for every pair and arm: w̃ = μ + U⁻¹z with z ~ N(0, I), score
 * <w̃, x>, argmax. `factorOf(arm, k)` gives the factor: cached (a) or refactorized (c).
 */
function fullVectorDraws(
  arms: readonly ArmPosterior[],
  X: Float64Array,
  d: number,
  pairs: number,
  g: FastNormal,
  out: Int32Array,
  factorOf: (arm: ArmPosterior) => Float64Array,
): void {
  const K = arms.length;
  const z = new Float64Array(d);
  const w = new Float64Array(d);
  const scores = new Float64Array(K);
  for (let n = 0; n < pairs; n++) {
    const xo = n * d;
    for (let k = 0; k < K; k++) {
      const arm = arms[k]!;
      const U = factorOf(arm);
      g.fill(z);
      backSolve(U, z, d, w);
      const mu = arm.mean;
      let s = 0;
      for (let i = 0; i < d; i++) s += (mu[i]! + w[i]!) * X[xo + i]!;
      scores[k] = s;
    }
    out[n] = argmax(scores);
  }
}

/** (a) The authors' reference form in TS: the draw from each arm's cached factor. */
function referenceTs(arms: readonly ArmPosterior[], X: Float64Array, d: number, pairs: number, g: FastNormal, out: Int32Array): void {
  fullVectorDraws(arms, X, d, pairs, g, out, (arm) => arm.factor);
}

/** (c) A fresh Cholesky of Λ_k per pair per arm, then the same draw. */
function freshFactorization(
  arms: readonly ArmPosterior[],
  X: Float64Array,
  d: number,
  pairs: number,
  g: FastNormal,
  out: Int32Array,
): void {
  const U = new Float64Array(d * d);
  fullVectorDraws(arms, X, d, pairs, g, out, (arm) => choleskyUpper(arm.precision, d, U));
}

// ---------------------------------------------------------------- NumPy

interface NumpyTiming {
  median_s: number;
  min_s: number;
  decisions_per_s: number;
}
interface NumpyRow {
  d: number;
  K: number;
  n: number;
  repeats: number;
  default_threads: NumpyTiming;
  one_thread?: NumpyTiming;
  /** NumPy's fastest form: one triangular solve of the whole batch per arm, one normal per pair. */
  fast_default_threads?: NumpyTiming;
  fast_one_thread?: NumpyTiming;
}
interface NumpyReport {
  ok: true;
  python: string;
  info: Record<string, unknown>;
  results: NumpyRow[];
}
interface NumpySkipped {
  ok: false;
  reason: string;
}

/** numpy-friendly environment: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset together (see the env README). */
function pyEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function canImport(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import numpy, scipy.linalg'], { env: pyEnv(), encoding: 'utf8', timeout: 120_000 });
  return r.status === 0;
}

/** Finds a Python with numpy + scipy, creating bench/.venv (pip install numpy scipy threadpoolctl) if none has them. */
function findPython(): { python: string } | { reason: string } {
  const venvDir = join(HERE, '.venv');
  const venvPy = join(venvDir, 'bin', 'python');
  if (existsSync(venvPy) && canImport(venvPy)) return { python: venvPy };
  if (canImport('python3')) return { python: 'python3' };
  if (NO_INSTALL) return { reason: 'no Python with numpy and scipy here, and --no-install: bench/.venv not created' };
  log(`numpy/scipy not importable: creating ${venvDir} and installing numpy scipy threadpoolctl (pip) ...`);
  if (!existsSync(venvPy)) {
    const mk = spawnSync('python3', ['-m', 'venv', venvDir], { encoding: 'utf8', timeout: 120_000 });
    if (mk.error || mk.status !== 0)
      return { reason: `python3 -m venv failed: ${mk.error?.message ?? mk.stderr.trim().split('\n').slice(-2).join(' ')}` };
  }
  const pip = spawnSync(venvPy, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'numpy', 'scipy'], {
    env: pyEnv(),
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (pip.error || pip.status !== 0)
    return { reason: `pip install numpy scipy failed: ${pip.error?.message ?? pip.stderr.trim().split('\n').slice(-3).join(' ')}` };
  // threadpoolctl is only for the BLAS report and the one-thread column: optional
  spawnSync(venvPy, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'threadpoolctl'], {
    env: pyEnv(),
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (!canImport(venvPy)) return { reason: 'numpy/scipy still not importable after pip install' };
  return { python: venvPy };
}

let pythonFound: { python: string } | { reason: string } | undefined;

/** One (d, K) of the NumPy reference, run right after the TS figures of the same (d, K) so both see the same machine load. */
function runNumpy(d: number, K: number): NumpyReport | NumpySkipped {
  try {
    if (pythonFound === undefined) {
      pythonFound = NO_NUMPY ? { reason: '--no-numpy' } : findPython();
      if ('reason' in pythonFound) log(`NumPy column SKIPPED: ${pythonFound.reason}`);
    }
    const found = pythonFound;
    if ('reason' in found) return { ok: false, reason: found.reason };
    log(`d=${d} K=${K}: numpy reference with ${found.python} (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset) ...`);
    const r = spawnSync(
      found.python,
      [join(HERE, 'reference_numpy.py'), '--configs', `${d}x${K}`, '--n', String(N), '--updates', String(UPDATES)],
      { env: pyEnv(), encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 },
    );
    if (r.error || r.status !== 0) {
      const reason = `reference_numpy.py failed: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' ')}`;
      pythonFound = { reason };
      return { ok: false, reason };
    }
    const parsed = JSON.parse(r.stdout) as { info: Record<string, unknown>; results: NumpyRow[] };
    return { ok: true, python: found.python, info: parsed.info, results: parsed.results };
  } catch (e) {
    pythonFound = { reason: `numpy reference crashed: ${(e as Error).message}` };
    return { ok: false, reason: pythonFound.reason };
  }
}

// ---------------------------------------------------------------- the run

interface Figure {
  median_ms: number;
  decisions_per_s: number;
  repeats: number;
  pairs: number;
}
interface Row {
  d: number;
  K: number;
  ours: Figure;
  refTs: Figure;
  fresh: Figure & { extrapolated: boolean };
  /** Same process: ours and K quadFormsBatch calls with the JS kernel forced, and the kernel in use. */
  kernelAb: { kernel: string; oursJs: Figure; qfMs: number; qfJsMs: number };
  numpy: { default_threads: number; one_thread: number | null; best: number; fastBest: number | null } | null;
  ratios: { oursOverRefTs: number; oursOverNumpy: number | null; oursOverNumpyFast: number | null; oursOverFresh: number };
}
interface UpdateRow {
  d: number;
  update_ms: number;
  refresh_ms: number;
  speedup: number;
  updates_per_rep: number;
  refreshes_per_rep: number;
  repeats: number;
}

function figure(ts: number[], pairs: number): Figure {
  const m = median(ts);
  return { median_ms: m, decisions_per_s: (pairs / m) * 1000, repeats: ts.length, pairs };
}

/** Pairs per timed repeat for the fresh-factorization column (a Cholesky per pair per arm is O(d³)). */
const freshPairs = (d: number): number => (d <= 64 ? 120 : d <= 256 ? 4 : 1);

function benchRouting(d: number, K: number, allArms: readonly ArmPosterior[], batch: ContextBatch): Omit<Row, 'numpy' | 'ratios'> {
  const arms = allArms.slice(0, K);
  const big = d >= 576;
  const rng = new CounterRng(7, 'bench');

  // ours: the production path
  const first = thompsonBatch(arms, batch, rng);
  const ours = figure(
    time(
      () => {
        thompsonBatch(arms, batch, rng);
      },
      2,
      big ? 5 : 9,
    ),
    N,
  );
  const again = thompsonBatch(arms, batch, rng);
  for (let n = 0; n < N; n++) if (first[n]!.arm !== again[n]!.arm) throw new Error('thompsonBatch is not deterministic');

  // same process, JS kernel forced: ours again, and the K quadFormsBatch calls alone
  const kernel = quadFormsKernel();
  const q = new Float64Array(N);
  const qfAll = (): void => {
    for (const a of arms) quadFormsBatch(a.factor, batch.X, N, d, q);
  };
  const qfMs = median(time(qfAll, 2, big ? 5 : 9));
  setQuadFormsKernel('js');
  const jsFirst = thompsonBatch(arms, batch, rng);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) if (!Object.is(jsFirst[n]!.stds[k], first[n]!.stds[k])) throw new Error('JS and wasm kernels disagree');
  const oursJs = figure(
    time(
      () => {
        thompsonBatch(arms, batch, rng);
      },
      1,
      big ? 5 : 9,
    ),
    N,
  );
  const qfJsMs = median(time(qfAll, 1, big ? 5 : 9));
  setQuadFormsKernel(JS_KERNEL ? 'js' : 'auto');

  // (a) reference TS
  const g = new FastNormal(11);
  const picks = new Int32Array(N);
  const refTs = figure(
    time(() => referenceTs(arms, batch.X, d, N, g, picks), 1, 5),
    N,
  );

  // (c) fresh factorization, on a few pairs
  const fp = Math.min(N, freshPairs(d));
  const fresh = figure(
    time(() => freshFactorization(arms, batch.X, d, fp, g, picks), 1, big ? 3 : 5),
    fp,
  );
  return { d, K, ours, refTs, fresh: { ...fresh, extrapolated: fp < N }, kernelAb: { kernel, oursJs, qfMs, qfJsMs } };
}

function benchUpdates(d: number, base: ArmPosterior): UpdateRow {
  const p = ArmPosterior.restore(base.snapshot());
  const g = new FastNormal(23);
  const u = new CounterRng(23, 'bench').sequence('r');
  const nu = d <= 64 ? 400 : d <= 256 ? 60 : 12;
  const xs = Array.from({ length: nu }, () => unitVector(g, d));
  const rs = xs.map(() => u.uniform());
  const upd = time(
    () => {
      for (let i = 0; i < nu; i++) p.update(xs[i]!, rs[i]!);
    },
    1,
    7,
  );
  const nr = d <= 64 ? 40 : d <= 256 ? 3 : 1;
  const ref = time(
    () => {
      for (let i = 0; i < nr; i++) p.refresh();
    },
    1,
    d >= 576 ? 5 : 7,
  );
  const um = median(upd) / nu;
  const rm = median(ref) / nr;
  return { d, update_ms: um, refresh_ms: rm, speedup: rm / um, updates_per_rep: nu, refreshes_per_rep: nr, repeats: upd.length };
}

/** quadFormsBatch agrees with a plain forward solve, and a pair routed alone gets the same bits as in the batch. */
function sanity(arm: ArmPosterior, batch: ContextBatch): void {
  const { d, X } = batch;
  const all = quadFormsBatch(arm.factor, X, N, d, new Float64Array(N));
  for (const n of [0, 1, 2, 3, 4, 5, N - 1]) {
    const x = X.subarray(n * d, (n + 1) * d);
    const y = forwardSolve(arm.factor, x, d);
    let q = 0;
    for (let i = 0; i < d; i++) q += y[i]! * y[i]!;
    if (!(Math.abs(q - all[n]!) <= 1e-12 * q)) throw new Error(`quadFormsBatch disagrees with forwardSolve at d=${d}, n=${n}`);
    const one = quadFormsBatch(arm.factor, x, 1, d, new Float64Array(1));
    if (!Object.is(one[0], all[n])) throw new Error(`quadFormsBatch: pair ${n} alone differs from the batch at d=${d}`);
  }
}

function readCpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line ? line.split(':')[1]!.trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

function main(): void {
  const t0 = performance.now();

  const rows: Omit<Row, 'numpy' | 'ratios'>[] = [];
  const updates: UpdateRow[] = [];
  const numpyRows: NumpyRow[] = [];
  let numpyInfo: NumpyReport | undefined;
  let numpySkip: string | undefined;
  for (const d of DS) {
    log(`d=${d}: building ${Math.max(...KS)} posteriors with ${UPDATES} updates each ...`);
    const arms = makeArms(d, Math.max(...KS), 1000 + d);
    const batch = makeBatch(d, 2000 + d);
    sanity(arms[0]!, batch);
    for (const K of KS) {
      log(`d=${d} K=${K}: routing ...`);
      rows.push(benchRouting(d, K, arms, batch));
      const np = runNumpy(d, K);
      if (np.ok) {
        numpyInfo = np;
        numpyRows.push(...np.results);
      } else numpySkip = np.reason;
    }
    log(`d=${d}: updates ...`);
    updates.push(benchUpdates(d, arms[0]!));
  }

  const numpy: NumpyReport | NumpySkipped =
    numpyInfo && numpySkip === undefined ? { ...numpyInfo, results: numpyRows } : { ok: false, reason: numpySkip ?? 'not run' };
  const full: Row[] = rows.map((r) => {
    const nr = numpy.ok ? numpy.results.find((x) => x.d === r.d && x.K === r.K) : undefined;
    const np = nr
      ? {
          default_threads: nr.default_threads.decisions_per_s,
          one_thread: nr.one_thread?.decisions_per_s ?? null,
          best: Math.max(nr.default_threads.decisions_per_s, nr.one_thread?.decisions_per_s ?? 0),
          fastBest: nr.fast_default_threads
            ? Math.max(nr.fast_default_threads.decisions_per_s, nr.fast_one_thread?.decisions_per_s ?? 0)
            : null,
        }
      : null;
    return {
      ...r,
      numpy: np,
      ratios: {
        oursOverRefTs: r.ours.decisions_per_s / r.refTs.decisions_per_s,
        oursOverNumpy: np ? r.ours.decisions_per_s / np.best : null,
        oursOverNumpyFast: np?.fastBest ? r.ours.decisions_per_s / np.fastBest : null,
        oursOverFresh: r.ours.decisions_per_s / r.fresh.decisions_per_s,
      },
    };
  });

  const g = full.find((r) => r.d === GOAL.d && r.K === GOAL.K);
  const gu = updates.find((u) => u.d === GOAL.d);
  const goals = {
    numpy: {
      goal: `ours >= ${GOAL.numpyRatio}x NumPy/SciPy at d=${GOAL.d}, K=${GOAL.K}`,
      value: g?.ratios.oursOverNumpy ?? null,
      status: g?.ratios.oursOverNumpy == null ? 'SKIPPED' : g.ratios.oursOverNumpy >= GOAL.numpyRatio ? 'PASS' : 'MISS',
    },
    numpyFast: {
      goal: `ours >= ${GOAL.numpyFastRatio}x NumPy's fastest form at d=${GOAL.d}, K=${GOAL.K}`,
      value: g?.ratios.oursOverNumpyFast ?? null,
      status: g?.ratios.oursOverNumpyFast == null ? 'SKIPPED' : g.ratios.oursOverNumpyFast >= GOAL.numpyFastRatio ? 'PASS' : 'MISS',
    },
    update: {
      goal: `rank-one update >= ${GOAL.updateSpeedup}x faster than refactorization at d=${GOAL.d}`,
      value: gu?.speedup ?? null,
      status: gu == null ? 'SKIPPED' : gu.speedup >= GOAL.updateSpeedup ? 'PASS' : 'MISS',
    },
  };

  const machine = {
    nproc: (spawnSync('nproc', { encoding: 'utf8' }).stdout ?? '').trim() || 'unknown',
    cpu: readCpuModel(),
    node: process.version,
    v8: process.versions.v8,
  };
  const totalS = (performance.now() - t0) / 1000;

  if (JSON_OUT) {
    process.stdout.write(
      `${JSON.stringify({ quick: QUICK, tiny: TINY, n: N, updatesPerArm: UPDATES, machine, numpy, rows: full, updates, goals, total_s: totalS })}\n`,
    );
    return;
  }

  const f0 = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toPrecision(3));
  const rx = (x: number | null): string => (x == null ? '—' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`);
  const out: string[] = [];
  out.push(`Thompson sampling, batch of ${N} pairs, posteriors after ${UPDATES} rank-one updates; decisions/s (medians)`);
  out.push(`machine: ${machine.nproc} cores, ${machine.cpu}, Node ${machine.node}`);
  if (numpy.ok) {
    const tp = (
      numpy.info.threadpool as { internal_api?: string; version?: string; architecture?: string; num_threads?: number }[] | undefined
    )
      ?.map((l) => `${l.internal_api} ${l.version} ${l.architecture} ${l.num_threads} threads`)
      .join('; ');
    out.push(
      `numpy ${String(numpy.info.numpy)}, scipy ${String(numpy.info.scipy)} (${numpy.python}); BLAS: ${tp ?? JSON.stringify(numpy.info.show_config)}`,
    );
  } else {
    out.push(`NumPy column SKIPPED: ${numpy.reason}`);
  }
  out.push('');
  out.push(
    '| d | K | ours | ref-TS | ours/ref-TS | NumPy (2 thr / 1 thr) | ours/NumPy | NumPy fastest form | ours/NumPy fastest | fresh chol | ours/fresh |',
  );
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of full) {
    const np = r.numpy ? `${f0(r.numpy.default_threads)} / ${r.numpy.one_thread == null ? '—' : f0(r.numpy.one_thread)}` : 'skipped';
    const fast = r.numpy?.fastBest != null ? f0(r.numpy.fastBest) : 'skipped';
    out.push(
      `| ${r.d} | ${r.K} | ${f0(r.ours.decisions_per_s)} | ${f0(r.refTs.decisions_per_s)} | ${rx(r.ratios.oursOverRefTs)} | ${np} | ${rx(r.ratios.oursOverNumpy)} | ${fast} | ${rx(r.ratios.oursOverNumpyFast)} | ${f0(r.fresh.decisions_per_s)}${r.fresh.extrapolated ? ` (${r.fresh.pairs} pr)` : ''} | ${rx(r.ratios.oursOverFresh)} |`,
    );
  }
  out.push('');
  out.push('NumPy fastest form: per arm one triangular solve of the whole batch and one normal per pair (the faster thread setting).');
  out.push('ours/NumPy uses the faster of the two NumPy figures. "fresh chol (n pr)": measured on n pairs per repeat and');
  out.push('extrapolated to decisions/s (each pair costs the same: K Choleskys + K draws). ref-TS and fresh draw z with a');
  out.push('fast mulberry32 + Box–Muller generator (ours uses the Philox counter RNG, one normal per pair and arm).');
  out.push('');
  out.push(`quadFormsBatch kernel, same process (ours = ${full[0]?.kernelAb.kernel ?? '?'} kernel; "JS" forces the JS kernel):`);
  out.push('');
  out.push('| d | K | ours | ours, JS kernel | speedup | K quadForms (ms) | K quadForms, JS (ms) | kernel speedup |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of full) {
    const ab = r.kernelAb;
    out.push(
      `| ${r.d} | ${r.K} | ${f0(r.ours.decisions_per_s)} | ${f0(ab.oursJs.decisions_per_s)} | ${rx(r.ours.decisions_per_s / ab.oursJs.decisions_per_s)} | ${ab.qfMs.toFixed(2)} | ${ab.qfJsMs.toFixed(2)} | ${rx(ab.qfJsMs / ab.qfMs)} |`,
    );
  }
  out.push('');
  out.push('| d | rank-one update (ms) | refactorization (ms) | speedup |');
  out.push('|---:|---:|---:|---:|');
  for (const u of updates) out.push(`| ${u.d} | ${u.update_ms.toFixed(3)} | ${u.refresh_ms.toFixed(3)} | ${rx(u.speedup)} |`);
  out.push('');
  out.push(
    'update = ArmPosterior.update (Λ, b += ..., rank-one Cholesky update, mean solve); refactorization = refresh() (Cholesky of Λ alone).',
  );
  out.push('');
  for (const goal of [goals.numpy, goals.numpyFast, goals.update]) {
    out.push(`${goal.status}: ${goal.goal} (measured ${goal.value == null ? 'n/a' : `${goal.value.toFixed(2)}×`})`);
  }
  out.push(`total ${totalS.toFixed(0)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
