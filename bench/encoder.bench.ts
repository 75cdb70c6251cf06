/**
 * The text encoder's cost, in one run:
 *  (1) encoder throughput, pairs/s: one pair per call, one prompt's pairs per call (what the router
 *      does: its distinct texts batched), and a whole training batch per call (texts in chunks of 64);
 *  (2) the router app's pairs/s on the in-process bus with the encoder in the path (generations with
 *      text and no vector) beside the same generations with the vectors supplied by the trainer
 *      (computed beforehand with the same encoder, so both sides route the same contexts).
 *
 *   npm run bench:encoder [-- --prompts 32 --responses 6 --batches 2 --repeats 3 --threads 1]
 *   npm run bench:encoder -- --prompts 2 --responses 3 --batches 1 --repeats 1   tiny: the smoke test's size (a few s)
 *
 * Needs the model (`npm run setup:encoder`). Wall time on purpose; medians over repeats. The router
 * half counts the pairs of the `decisions` records (pairDecisions: one v2 record per prompt, one v1
 * record per pair) and stops with an error, not a silent wait, when no decision comes for --stall-s.
 */
import { parseArgs } from 'node:util';
import { SingleObjectCodec } from '../src/avro/codec.ts';
import { createMemoryBus } from '../src/bus/memory/index.ts';
import type { Clock } from '../src/bus/types.ts';
import { PRIOR_FORMAT, type PriorFile } from '../src/core/prior.ts';
import { CounterRng } from '../src/core/rng.ts';
import { pairDecisions } from '../src/records/decisions.ts';
import { defaultEncoderDir, encoderInstalled, loadPairEncoder, type PairEncoder, type PairText } from '../src/encoder/index.ts';
import { defaultPool } from '../src/sim/pool.ts';
import { recordKey, topicName } from '../src/records/topics.ts';
import type { Generation } from '../src/records/types.ts';
import { simPromptText, simResponseText } from '../src/sim/texts.ts';
import { startRouterApp } from '../streams/router/router.ts';
import { buildSettings } from '../streams/runtime/settings.ts';
import { createLoopTopics } from '../streams/runtime/topics.ts';
import { quietLog } from '../test/unit/streams-fixtures.ts';

const { values: args } = parseArgs({
  options: {
    prompts: { type: 'string', default: '32' },
    responses: { type: 'string', default: '6' },
    batches: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    'stall-s': { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
  },
});
const PROMPTS = Number(args.prompts);
const RESPONSES = Number(args.responses);
const BATCHES = Number(args.batches);
const REPEATS = Number(args.repeats);
const THREADS = Number(args.threads);
const STALL_MS = 1000 * Number(args['stall-s']);
const D = 64;
const wall: Clock = { now: () => Date.now() }; // a benchmark measures wall time on purpose
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const categories = ['Factuality', 'Precise IF', 'Math', 'Safety', 'Focus', 'Ties'];

/** Generations of `BATCHES` batches, text only: PROMPTS prompts × C(RESPONSES, 2) pairs each. */
function generations(run: string): Generation[] {
  const out: Generation[] = [];
  for (let t = 0; t < BATCHES; t++) {
    for (let p = 0; p < PROMPTS; p++) {
      const promptId = `b${t}-p${p}`;
      const category = categories[(t * PROMPTS + p) % categories.length]!;
      const pairs: Generation['pairs'] = [];
      for (let a = 0; a < RESPONSES; a++) {
        for (let b = a + 1; b < RESPONSES; b++)
          pairs.push({
            pairId: `${promptId}-r${a}r${b}`,
            responseA: simResponseText(category, promptId, a, 1),
            responseB: simResponseText(category, promptId, b, 1),
            embedding: [],
          });
      }
      out.push({ run, batch: t, promptId, category, prompt: simPromptText(category, promptId, 1), messages: [], pairs, sentAtMs: 0 });
    }
  }
  return out;
}

const pairTexts = (g: Generation): PairText[] =>
  g.pairs.map((p) => ({ prompt: g.prompt!, responseA: p.responseA, responseB: p.responseB }));

function prior(encoder: PairEncoder): PriorFile {
  const rng = new CounterRng(5, 'bench/prior');
  const w = rng.sequence('w');
  const unit = (v: Float64Array) => v.map((x) => x / Math.hypot(...v));
  const width = encoder.info.dim;
  return {
    format: PRIOR_FORMAT,
    d: D,
    arms: [...defaultPool],
    encoder: encoder.info,
    embeddings: defaultPool.map((a) => unit(Float64Array.from({ length: D }, () => rng.sequence(a).normal()))),
    projection: {
      inputDim: width,
      weight: Array.from({ length: D }, () => Float64Array.from({ length: width }, () => 0.1 * w.normal())),
      bias: new Float64Array(D),
      gamma: new Float64Array(D).fill(1),
      beta: new Float64Array(D),
      eps: 1e-5,
    },
    metrics: { router_accuracy: null, fixed: {} },
    training: { seed: 5, epochs: 0, lossWeights: { bt: 1, cls: 0, reg: 0 } },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Router app alone on the in-process bus: seconds from sending every generation to the last decision. */
async function routeSeconds(p: PriorFile, encoder: PairEncoder, gens: Generation[], tag: string): Promise<number> {
  const codec = new SingleObjectCodec();
  const s = buildSettings(
    {
      seed: 1,
      run: 'bench',
      prefix: `${tag}.`,
      partitions: 1,
      posteriorWaitMs: 0,
      lag: 1_000_000,
      maxInFlight: 2000,
      encoder: '(injected)',
      sim: { config: { d: D } },
    },
    p,
  );
  const bus = createMemoryBus({ clock: wall });
  await createLoopTopics(bus, s);
  const router = await startRouterApp({ bus, codec, clock: wall, log: quietLog, settings: s }, { encoder });
  const total = gens.reduce((n, g) => n + g.pairs.length, 0);
  const records = gens.map((g) => ({
    topic: topicName(s.prefix, 'generations'),
    key: Buffer.from(recordKey('generations', g) as string),
    value: codec.encodeSync('generations', g),
  }));
  try {
    const producer = await bus.producer();
    const t0 = performance.now();
    await producer.send(records);
    // One decisions record per prompt (v2) or per pair (v1): count their pairs, decoding each record once.
    const decisionsTopic = topicName(s.prefix, 'decisions');
    let read = 0;
    let decided = 0;
    let progressAt = performance.now();
    while (decided < total) {
      const all = await bus.readToEnd(decisionsTopic);
      if (all.length > read) {
        for (const r of all.slice(read)) decided += pairDecisions(codec.decodeSync('decisions', r.value!)).length;
        read = all.length;
        progressAt = performance.now();
      } else if (performance.now() - progressAt > STALL_MS) {
        const dlq = (await bus.readToEnd(topicName(s.prefix, 'dlq'))).length;
        throw new Error(
          `bench: router stalled: ${decided} of ${total} pairs decided (${read} decisions records, ${dlq} dead letters), nothing new for ${STALL_MS / 1000} s`,
        );
      }
      if (decided < total) await new Promise((r) => setTimeout(r, 5));
    }
    if (decided !== total) throw new Error(`bench: ${decided} pairs decided, ${total} sent`);
    return (performance.now() - t0) / 1000;
  } finally {
    await router.close();
    await bus.close();
  }
}

async function main(): Promise<void> {
  const dir = defaultEncoderDir();
  if (!encoderInstalled(dir)) throw new Error(`no model in ${dir}: run \`npm run setup:encoder\` first`);
  const encoder = await loadPairEncoder(dir, { threads: THREADS });
  const gens = generations('bench');
  const first = gens.slice(0, PROMPTS); // one training batch
  const pairs = first.reduce((n, g) => n + g.pairs.length, 0);
  const all = first.flatMap(pairTexts);
  await encoder.embedPairs(all.slice(0, 4)); // warm-up
  const enc = { single: [] as number[], perPrompt: [] as number[], batch: [] as number[] };
  for (let r = 0; r < REPEATS; r++) {
    enc.single.push(
      pairs /
        (await timed(async () => {
          for (const p of all) await encoder.embedPairs([p]);
        })),
    );
    enc.perPrompt.push(
      pairs /
        (await timed(async () => {
          for (const g of first) await encoder.embedPairs(pairTexts(g));
        })),
    );
    enc.batch.push(pairs / (await timed(() => encoder.embedPairs(all))));
    process.stderr.write(`encoder repeat ${r + 1}/${REPEATS}\n`);
  }
  // The trainer-supplied side gets the encoder's own vectors (one call per prompt, as the router makes them).
  const p = prior(encoder);
  const withVectors = await Promise.all(
    gens.map(async (g) => {
      const v = await encoder.embedPairs(pairTexts(g));
      return { ...g, pairs: g.pairs.map((x, i) => ({ ...x, embedding: Array.from(v[i]!) })) };
    }),
  );
  const total = gens.reduce((n, g) => n + g.pairs.length, 0);
  await routeSeconds(p, encoder, withVectors.slice(0, 4), 'warm');
  const route = { text: [] as number[], vectors: [] as number[] };
  for (let r = 0; r < REPEATS; r++) {
    route.vectors.push(total / (await routeSeconds(p, encoder, withVectors, `v${r}`)));
    route.text.push(total / (await routeSeconds(p, encoder, gens, `t${r}`)));
    process.stderr.write(`router repeat ${r + 1}/${REPEATS}\n`);
  }
  await encoder.close();
  const out = {
    setup: {
      prompts: PROMPTS,
      responses: RESPONSES,
      pairsPerBatch: pairs,
      distinctTextsPerBatch: PROMPTS * RESPONSES,
      routerBatches: BATCHES,
      repeats: REPEATS,
      threads: THREADS,
      model: encoder.info.name,
    },
    encoderPairsPerSec: { onePairPerCall: median(enc.single), onePromptPerCall: median(enc.perPrompt), wholeBatch: median(enc.batch) },
    // Texts actually embedded per pair: 2 one pair at a time; distinct texts / pairs when a call dedupes.
    encoderTextsPerSec: {
      onePairPerCall: 2 * median(enc.single),
      onePromptPerCall: ((PROMPTS * RESPONSES) / pairs) * median(enc.perPrompt),
      wholeBatch: ((PROMPTS * RESPONSES) / pairs) * median(enc.batch),
    },
    routerPairsPerSec: { vectorsSupplied: median(route.vectors), encoderInPath: median(route.text) },
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const f = (x: number) => x.toFixed(0).padStart(8);
  process.stdout.write(
    [
      `${out.setup.model}, ${THREADS} onnxruntime thread(s); a batch = ${PROMPTS} prompts × ${RESPONSES} responses = ${pairs} pairs (${PROMPTS * RESPONSES} distinct texts); medians of ${REPEATS}`,
      'encoder:                   pairs/s   texts/s',
      `  one pair per call        ${f(out.encoderPairsPerSec.onePairPerCall)}  ${f(out.encoderTextsPerSec.onePairPerCall)}`,
      `  one prompt per call      ${f(out.encoderPairsPerSec.onePromptPerCall)}  ${f(out.encoderTextsPerSec.onePromptPerCall)}   (the router's way; pairs/s ×${(out.encoderPairsPerSec.onePromptPerCall / out.encoderPairsPerSec.onePairPerCall).toFixed(1)})`,
      `  whole batch per call     ${f(out.encoderPairsPerSec.wholeBatch)}  ${f(out.encoderTextsPerSec.wholeBatch)}   (pairs/s ×${(out.encoderPairsPerSec.wholeBatch / out.encoderPairsPerSec.onePairPerCall).toFixed(1)})`,
      `router app (in-process bus, ${BATCHES} batches, ${total} pairs), pairs/s:`,
      `  vectors supplied         ${f(out.routerPairsPerSec.vectorsSupplied)}`,
      `  encoder in the path      ${f(out.routerPairsPerSec.encoderInPath)}   (${(out.routerPairsPerSec.vectorsSupplied / out.routerPairsPerSec.encoderInPath).toFixed(0)}× slower)`,
    ].join('\n') + '\n',
  );
}

await main();
