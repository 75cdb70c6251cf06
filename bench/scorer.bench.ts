/**
 * The scorer's throughput, in one run:
 *  (1) the tfjs demo reward model (data/tfjs-rm) through the scorer's micro-batching operator,
 *      pairs/s: micro-batched across prompts (up to --max-pairs pairs per model call) beside
 *      unbatched (one model call per pair) and one model call per request (a prompt's pairs for this
 *      RM: the batching the scorer had before, one request at a time); on wasm, and on tfjs-node when `npm run setup:tfjs-node` has built it
 *      (each backend in its own child process: tfjs is a process-wide singleton);
 *  (2) the http backend (OpenRLHF protocol) against a local server (its own Node process) that
 *      answers after --latency ms, calls/s beside the ideal concurrency ÷ latency, at two concurrencies.
 *
 *   npm run bench:scorer [-- --batches 40 --repeats 5 --latency 50 --json]
 *   npm run bench:scorer -- --batches 1 --repeats 1 --latency 1   tiny: the smoke test's size (a few s)
 *
 * Requests: each batch is 32 prompts × 6 responses (15 pairs), and the benchmarked RM gets the
 * pairs with index ≡ 0 (mod 4), as one RM of four would: 4 pairs per request. Wall time on purpose;
 * medians over repeats.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { BusRecord } from '../src/bus/types.ts';
import { scoreMicroBatch } from '../src/operators/scoreMicroBatch.ts';
import type { Work } from '../src/operators/types.ts';
import type { ScoringRequest } from '../src/records/types.ts';
import { httpBackend } from '../src/scorers/http.ts';
import { defaultResilience, Resilient } from '../src/scorers/resilience.ts';
import { tfjsBackend } from '../src/scorers/tfjs.ts';
import type { PairInput, RmBackend } from '../src/scorers/types.ts';
import { simPromptText, simResponseText } from '../src/sim/texts.ts';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '40' },
    repeats: { type: 'string', default: '5' },
    latency: { type: 'string', default: '50' },
    'max-pairs': { type: 'string', default: '256' },
    child: { type: 'string' },
    json: { type: 'boolean', default: false },
    /** tfjs backends to run, each in a child: auto (the ladder's pick: tfjs-node-gpu / tfjs-node when built), wasm, cpu. */
    backends: { type: 'string', default: 'wasm,auto' },
    'skip-http': { type: 'boolean', default: false },
  },
});
const BATCHES = Number(args.batches);
const REPEATS = Number(args.repeats);
const LATENCY = Number(args.latency);
const MAX_PAIRS = Number(args['max-pairs']);
const wall = { now: () => performance.now() }; // a benchmark measures wall time on purpose
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const categories = ['Factuality', 'Precise IF', 'Math', 'Safety', 'Focus', 'Ties'];
const MODEL = fileURLToPath(new URL('../data/tfjs-rm/', import.meta.url));

function requests(): Work<ScoringRequest>[] {
  const out: Work<ScoringRequest>[] = [];
  for (let t = 0; t < BATCHES; t++) {
    for (let p = 0; p < 32; p++) {
      const promptId = `b${t}-p${p}`;
      const cat = categories[(t * 32 + p) % categories.length]!;
      const pairs: ScoringRequest['pairs'] = [];
      let index = 0;
      for (let a = 0; a < 6; a++)
        for (let b = a + 1; b < 6; b++, index++) {
          if (index % 4 === 0)
            pairs.push({
              pairId: `${promptId}-r${a}r${b}`,
              index,
              responseA: simResponseText(cat, promptId, a, 1),
              responseB: simResponseText(cat, promptId, b, 1),
            });
        }
      const value: ScoringRequest = {
        run: 'bench',
        batch: t,
        promptId,
        rm: 'rm',
        prompt: simPromptText(cat, promptId, 1),
        messages: [],
        pairs,
        promptPairs: 15,
        routedAtMs: 0,
      };
      out.push({
        record: { topic: 'req', partition: 0, offset: String(out.length), key: null, value: null } as unknown as BusRecord,
        value,
        rejected: [],
      });
    }
  }
  return out;
}

/** Pairs/s of the micro-batching operator over all requests (a backlog), `maxPairs` per model call. */
async function operatorPairsPerSec(backend: RmBackend, reqs: Work<ScoringRequest>[], maxPairs: number): Promise<number> {
  const pairs = reqs.reduce((n, w) => n + w.value!.pairs.length, 0);
  const t0 = wall.now();
  const out = await lastValueFrom(
    from(reqs).pipe(scoreMicroBatch({ backend, arms: ['rm'], clock: wall, maxPairs, maxWaitMs: 0 }), toArray()),
  );
  const ms = wall.now() - t0;
  if (out.length !== reqs.length || out.some((w) => w.value!.pairs.some((p) => p.unscored != null)))
    throw new Error('bench: unscored pairs');
  return pairs / (ms / 1000);
}

async function perPairPairsPerSec(backend: RmBackend, reqs: Work<ScoringRequest>[]): Promise<number> {
  const inputs: PairInput[] = reqs.flatMap((w) =>
    w.value!.pairs.map((p) => ({
      pairId: p.pairId,
      prompt: w.value!.prompt!,
      messages: [],
      responseA: p.responseA,
      responseB: p.responseB,
    })),
  );
  const t0 = wall.now();
  for (const p of inputs) await backend.scorePairs([p]);
  return inputs.length / ((wall.now() - t0) / 1000);
}

/** Child: one tfjs backend, its three figures. */
async function child(pref: 'wasm' | 'auto' | 'cpu'): Promise<void> {
  const backend = await tfjsBackend({ modelDir: MODEL, tfBackend: pref, maxBatch: 512, clock: wall });
  const reqs = requests();
  // tfjs-node-gpu: whether TensorFlow placed ops on a GPU (the binding says so; absent elsewhere).
  const tf = await import('@tensorflow/tfjs');
  const binding = (tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } }).binding;
  const r = {
    rung: backend.rung,
    gpu: binding?.isUsingGpuDevice?.() ?? false,
    warmupMs: backend.warmupMs,
    microBatched: [] as number[],
    perRequest: [] as number[],
    perPair: [] as number[],
  };
  await operatorPairsPerSec(backend, reqs.slice(0, 64), MAX_PAIRS); // warm the code paths
  for (let i = 0; i < REPEATS; i++) {
    r.microBatched.push(await operatorPairsPerSec(backend, reqs, MAX_PAIRS));
    r.perRequest.push(await operatorPairsPerSec(backend, reqs, 1));
    r.perPair.push(await perPairPairsPerSec(backend, reqs));
  }
  process.stdout.write(JSON.stringify(r) + '\n');
}

function runChild(pref: string): {
  rung: string;
  gpu: boolean;
  warmupMs: number;
  microBatched: number[];
  perRequest: number[];
  perPair: number[];
} {
  const self = fileURLToPath(import.meta.url);
  let out: string;
  try {
    out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        self,
        '--child',
        pref,
        '--batches',
        String(BATCHES),
        '--repeats',
        String(REPEATS),
        '--max-pairs',
        String(MAX_PAIRS),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 },
    );
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const why = (e.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`bench: the ${pref} tfjs child failed: ${e.message.split('\n')[0]}${why ? `\n${why}` : ''}`);
  }
  return JSON.parse(out.trim().split('\n').pop()!);
}

/**
 * The fake OpenRLHF server, as its own Node process (so its JSON and HTTP work runs beside the client,
 * not inside its event loop): answers every call after LATENCY ms, reports the most calls it held at
 * once on stdout when it gets SIGTERM.
 */
const SERVER_JS = `
const http = require('node:http');
let inFlight = 0, max = 0;
const s = http.createServer((req, res) => {
  inFlight++; max = Math.max(max, inFlight);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const q = JSON.parse(Buffer.concat(chunks).toString('utf8')).query;
    setTimeout(() => { inFlight--; res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rewards: q.map((t) => t.length / 100) })); }, Number(process.argv[1]));
  });
});
s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
process.on('SIGTERM', () => { process.stdout.write('max ' + max + '\\n'); process.exit(0); });
`;

/** Calls/s of the http backend against the local server that answers after LATENCY ms. */
async function httpCallsPerSec(concurrency: number, calls: number): Promise<{ callsPerSec: number; ideal: number; maxInFlight: number }> {
  const child = spawn(process.execPath, ['-e', SERVER_JS, String(LATENCY)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  let exited: string | null = null;
  child.on('close', (code, signal) => {
    exited = `the local RM server exited (${signal ?? code})`;
  });
  // A server that died answers no more lines: an error, not a wait for ever.
  const gotLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (lines.length > 0) resolve(lines.shift()!);
        else if (exited !== null) reject(new Error(`bench: ${exited} before its line`));
        else setTimeout(check, 5);
      };
      check();
    });
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  const port = Number(await gotLine());
  try {
    const url = `http://127.0.0.1:${port}/`;
    const res = new Resilient({ ...defaultResilience, concurrency, timeoutMs: 10_000, retries: 0 }, wall, 1, 'bench');
    const b = httpBackend({ url, protocol: 'openrlhf', modelVersion: 'bench', maxBatch: 16, separator: '\n' }, res);
    // Every text distinct: 8 pairs = 16 texts = one call of maxBatch 16.
    const pairs: PairInput[] = Array.from({ length: calls * 8 }, (_, i) => ({
      pairId: `p${i}`,
      prompt: `prompt ${i}`,
      messages: [],
      responseA: `a${i}`,
      responseB: `b${i}`,
    }));
    await b.scorePairs(pairs.slice(0, 8 * concurrency)); // connections up
    const t0 = wall.now();
    const out = await b.scorePairs(pairs);
    const s = (wall.now() - t0) / 1000;
    await b.close?.();
    if (out.some((r) => 'failure' in r)) throw new Error('bench: http failures');
    child.kill('SIGTERM');
    const maxInFlight = Number((await gotLine()).split(' ')[1]);
    return { callsPerSec: calls / s, ideal: concurrency / (LATENCY / 1000), maxInFlight };
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  if (args.child) return child(args.child as 'wasm' | 'auto' | 'cpu');
  const children = args.backends!.split(',').map((b) => runChild(b.trim()));
  const seen = new Set<string>();
  const tfjsRuns = children.filter((c) => !seen.has(c.rung) && seen.add(c.rung)); // auto = wasm when nothing native is built
  const http = [];
  for (const c of args['skip-http'] ? [] : [8, 32]) {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await httpCallsPerSec(c, c * 40));
    const cps = median(runs.map((r) => r.callsPerSec));
    http.push({
      concurrency: c,
      latencyMs: LATENCY,
      callsPerSec: cps,
      ideal: runs[0]!.ideal,
      ratio: cps / runs[0]!.ideal,
      maxInFlight: Math.max(...runs.map((r) => r.maxInFlight)),
    });
  }
  const row = (r: ReturnType<typeof runChild>) => ({
    rung: r.rung,
    gpu: r.gpu,
    warmupMs: r.warmupMs,
    microBatched: median(r.microBatched),
    perRequest: median(r.perRequest),
    perPair: median(r.perPair),
  });
  const result = { batches: BATCHES, repeats: REPEATS, maxPairs: MAX_PAIRS, tfjs: tfjsRuns.map(row), http };
  if (args.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(`tfjs demo RM, ${BATCHES * 32} requests × 4 pairs, medians of ${REPEATS} (pairs/s):`);
  console.log(
    '| backend | micro-batched (≤ ' +
      MAX_PAIRS +
      ' pairs/call) | one call per request | unbatched (one call per pair) | micro-batched ÷ unbatched | micro-batched ÷ per request | warm-up ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of result.tfjs)
    console.log(
      `| ${r.rung}${r.gpu ? ' (GPU)' : ''} | ${f(r.microBatched)} | ${f(r.perRequest)} | ${f(r.perPair)} | ${(r.microBatched / r.perPair).toFixed(1)}× | ${(r.microBatched / r.perRequest).toFixed(1)}× | ${r.warmupMs.toFixed(0)} |`,
    );
  const wasmRow = result.tfjs.find((r) => r.rung === 'wasm');
  const nativeRows = result.tfjs.filter((r) => r.rung.startsWith('tfjs-node'));
  if (nativeRows.length === 0) console.log('(no native tfjs built: `npm run setup:tfjs-node` adds its row)');
  for (const n of nativeRows)
    if (wasmRow) console.log(`${n.rung} ÷ wasm, micro-batched: ${(n.microBatched / wasmRow.microBatched).toFixed(2)}×`);
  if (http.length === 0) return;
  console.log(`\nhttp backend (OpenRLHF), a local server process answering after ${LATENCY} ms, 16 texts per call, medians of ${REPEATS}:`);
  console.log('| concurrency | calls/s | ideal (concurrency ÷ latency) | ratio | most in flight at the server |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const h of http)
    console.log(`| ${h.concurrency} | ${f(h.callsPerSec)} | ${f(h.ideal)} | ${h.ratio.toFixed(2)}× | ${h.maxInFlight} |`);
}

await main();
