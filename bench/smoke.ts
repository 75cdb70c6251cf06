/**
 * What the benchmarks' smoke tests share (test/unit/bench-smoke.test.ts, and
 * test/integration/bench-smoke-kafka.test.ts for the one that needs a broker): run a bench as a
 * child process at its tiny size under a hard timeout, and read a figure from what it printed.
 * Not a benchmark itself: it never measures anything, and the tests assert no wall-clock figure,
 * only that a finite one was printed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Each bench's hard limit at its tiny size: killed (with its children) past it. */
export const SMOKE_TIMEOUT_MS = 90_000;

export interface BenchRun {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  out: string;
  err: string;
  seconds: number;
  limitS: number;
}

/** Process groups still running: killed if this process exits first (the runner ended, a test was cancelled). */
const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

/** The environment a Python reference wants: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset together (see the env README). */
export function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/**
 * Runs `file args…` from the repository root: a `.ts` file as `node --import tsx`, a `.py` file
 * with `python`. The child leads a process group of its own, so a timeout kills it and whatever
 * it started (servers, receivers, app processes) at once.
 */
export function runBench(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; python?: string } = {},
): Promise<BenchRun> {
  const timeoutMs = opts.timeoutMs ?? SMOKE_TIMEOUT_MS;
  const py = file.endsWith('.py');
  const exe = py ? (opts.python ?? 'python3') : process.execPath;
  const argv = py ? [file, ...args] : ['--import', 'tsx', file, ...args];
  const env = { ...(opts.env ?? (py ? pythonEnv() : process.env)), REWARD_ROUTER_FROM_SOURCE: '1' };
  const command = [py ? exe : 'node', ...argv].join(' ');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(exe, argv, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    if (child.pid !== undefined) live.add(child.pid);
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      if (child.pid !== undefined) live.delete(child.pid);
      resolve({ command, code, signal, timedOut, out, err, seconds: (performance.now() - t0) / 1000, limitS: timeoutMs / 1000 });
    };
    child.on('error', (e) => {
      err += `\nspawn failed: ${e.message}`;
      done(null, null);
    });
    child.on('close', done);
  });
}

const tail = (s: string, lines = 15): string => s.trimEnd().split('\n').slice(-lines).join('\n');

/** Why a run failed, for an assertion message: how it ended and the end of both streams. */
export function describeRun(r: BenchRun): string {
  const end = r.timedOut
    ? `did not finish within ${r.limitS} s (a hang?) and was killed`
    : `exited ${r.signal ?? r.code} after ${r.seconds.toFixed(1)} s`;
  return `${r.command} ${end}\n--- stdout (end)\n${tail(r.out)}\n--- stderr (end)\n${tail(r.err)}`;
}

/**
 * The number that `pattern`'s first group captures in `text` (thousands separators dropped), or an
 * Error saying which figure is missing or not a finite number.
 */
export function figure(r: BenchRun, pattern: RegExp, what: string): number {
  const m = pattern.exec(r.out);
  if (m === null) throw new Error(`${what}: no line matching ${String(pattern)} in the output of\n${describeRun(r)}`);
  const x = Number(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(x)) throw new Error(`${what}: ${JSON.stringify(m[1])} is not a finite number in the output of\n${describeRun(r)}`);
  return x;
}

/**
 * A number from a Markdown table the bench printed: the table whose header row has `column`, its
 * first row whose leading cells equal `row` (e.g. ['64', '4'] for d = 64, K = 4); `×`, `x` and
 * thousands separators dropped. An Error when the table, the row or a finite number is missing.
 */
export function cell(r: BenchRun, column: string, row: readonly string[], what: string): number {
  const cells = (line: string): string[] =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  const lines = r.out.split('\n');
  const fail = (why: string): Error => new Error(`${what}: ${why} in the output of\n${describeRun(r)}`);
  const h = lines.findIndex((l) => l.trimStart().startsWith('|') && cells(l).includes(column));
  if (h < 0) throw fail(`no table with a column ${JSON.stringify(column)}`);
  const col = cells(lines[h]!).indexOf(column);
  for (let i = h + 2; i < lines.length && lines[i]!.trimStart().startsWith('|'); i++) {
    const c = cells(lines[i]!);
    if (!row.every((v, j) => c[j] === v)) continue;
    const raw = c[col] ?? '';
    const x = Number(raw.replace(/[,×x]/g, '').split(' ')[0]);
    if (!Number.isFinite(x) || raw === '')
      throw fail(`${JSON.stringify(raw)} (column ${JSON.stringify(column)}, row ${row.join(', ')}) is not a finite number`);
    return x;
  }
  throw fail(`no row ${row.join(', ')} under the column ${JSON.stringify(column)}`);
}
