// Input limits at the router's edge: each limit dead-letters with its own reason code; a pair over a
// per-pair limit goes alone while the record's other pairs are routed; limits are validated settings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { generationBytes, defaultSizeLimits, RECORD_OVERHEAD_BYTES } from '../../src/records/sizes.ts';
import { RECORD_TOPIC_MAX_BYTES, topicConfigs } from '../../src/records/topicConfigs.ts';
import type { Generation, GenerationPair } from '../../src/records/types.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { routeGenerations } from '../helpers/router.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const codec = new SingleObjectCodec();
const limits = { maxPromptBytes: 40, maxResponseBytes: 20, maxVectorLength: 32, maxPairsPerPrompt: 3 };
const s = testSettings({ prefix: 'lim.', limits });
const prompts = simStream(s).generateBatch(0).prompts;
const good = (k: number, j = 0): GenerationPair => {
  const p = prompts[k]!.pairs[j]!;
  return { pairId: p.pairId, responseA: 'short a', responseB: 'short b', embedding: Array.from(p.x) };
};
const gen = (k: number, pairs: GenerationPair[], prompt = 'a short prompt'): Generation => ({
  run: s.run,
  batch: 0,
  promptId: prompts[k]!.promptId,
  category: null,
  prompt,
  messages: [],
  pairs,
  sentAtMs: 0,
});

/** Sends the generations to a router; returns its dead letters and the pair ids it decided. */
const route = (gens: Generation[], dlqCount: number) => routeGenerations(s, gens, { codec, log: quietLog, dlqCount });

describe('input limits at the router', () => {
  it('a prompt over maxPromptBytes (prompt text plus chat messages) is PROMPT_TOO_LARGE, whole', async () => {
    const g = { ...gen(0, [good(0)], 'x'.repeat(30)), messages: [{ role: 'user', content: 'y'.repeat(11) }] };
    const { dlq, decided } = await route([g], 1);
    assert.deepEqual(
      dlq.map((d) => d.reason),
      ['PROMPT_TOO_LARGE'],
    );
    assert.match(dlq[0]!.message, /41 bytes of prompt text, the limit is 40/);
    assert.deepEqual(decided, []);
  });

  it('more than maxPairsPerPrompt pairs is TOO_MANY_PAIRS, whole', async () => {
    const { dlq, decided } = await route(
      [
        gen(
          1,
          [0, 1, 2, 3].map((j) => good(1, j)),
        ),
      ],
      1,
    );
    assert.deepEqual(
      dlq.map((d) => d.reason),
      ['TOO_MANY_PAIRS'],
    );
    assert.deepEqual(decided, []);
  });

  it('a response over maxResponseBytes is RESPONSE_TOO_LARGE; the other pairs are routed', async () => {
    const big = { ...good(2, 1), responseB: 'é'.repeat(11) }; // 22 UTF-8 bytes
    const { dlq, decided } = await route([gen(2, [good(2, 0), big])], 1);
    assert.deepEqual(
      dlq.map((d) => d.reason),
      ['RESPONSE_TOO_LARGE'],
    );
    assert.deepEqual(decided, [good(2, 0).pairId]);
  });

  it('a vector over maxVectorLength is VECTOR_TOO_LONG (before the width check); the other pairs are routed', async () => {
    const long = { ...good(3, 1), embedding: new Array<number>(33).fill(0.1) };
    const { dlq, decided } = await route([gen(3, [good(3, 0), long])], 1);
    assert.deepEqual(
      dlq.map((d) => d.reason),
      ['VECTOR_TOO_LONG'],
    );
    assert.deepEqual(decided, [good(3, 0).pairId]);
  });

  it('limits are validated settings', () => {
    assert.throws(
      () => testSettings({ limits: { maxPairsPerPrompt: 0 } }),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'limits.maxPairsPerPrompt',
    );
    assert.deepEqual(testSettings().limits, {
      maxPromptBytes: 65_536,
      maxResponseBytes: 65_536,
      maxVectorLength: 8_192,
      maxPairsPerPrompt: 256,
    });
  });

  it('limits that let through a generation the generations topic would refuse are RR_INVALID_CONFIG at start', () => {
    const topicMax = Number(topicConfigs('generations', { d: s.prior.d })['max.message.bytes']);
    assert.equal(topicMax, RECORD_TOPIC_MAX_BYTES);
    // The bound is the encoded size of the largest one-pair generation the limits let through.
    const items = { maxPromptBytes: 1000, maxResponseBytes: 3000, maxVectorLength: 64 };
    const id = (c: string) => c.repeat(defaultSizeLimits.maxIdBytes);
    const worst: Generation = {
      run: id('r'),
      batch: 2 ** 52,
      promptId: id('p'),
      category: id('c'),
      prompt: 'q'.repeat(items.maxPromptBytes),
      messages: [],
      pairs: [{ pairId: id('x'), responseA: 'a'.repeat(3000), responseB: 'b'.repeat(3000), embedding: new Array(64).fill(Math.PI) }],
      sentAtMs: 2 ** 52,
    };
    assert.equal(codec.encodeSync('generations', worst).length, generationBytes(items, 1));
    // Defaults fit; a response limit that alone passes the topic's limit does not.
    assert.ok(generationBytes(testSettings().limits, 1) + RECORD_OVERHEAD_BYTES <= topicMax);
    for (const limits of [{ maxResponseBytes: 600_000 }, { maxPromptBytes: 1_100_000 }, { maxVectorLength: 140_000 }])
      assert.throws(
        () => testSettings({ limits }),
        (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === 'limits' && /max\.message\.bytes 1048588/.test(e.message),
        JSON.stringify(limits),
      );
    // Just inside: the largest response limit the topic allows with the other defaults.
    const fits = (r: number) => generationBytes({ ...testSettings().limits, maxResponseBytes: r }, 1) + RECORD_OVERHEAD_BYTES <= topicMax;
    let inside = 400_000;
    while (fits(inside + 1)) inside++;
    assert.ok(inside > 400_000 && fits(inside));
    assert.equal(testSettings({ limits: { maxResponseBytes: inside } }).limits.maxResponseBytes, inside);
    assert.throws(
      () => testSettings({ limits: { maxResponseBytes: inside + 1 } }),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG'),
    );
  });
});
