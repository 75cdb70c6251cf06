// The encoder's pure parts (no model needed): featurization, the prior's encoder field, the mismatch
// check, and the text JSONL of the offline stage. The model itself: encoder-model.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { parsePrior, serializePrior, type PriorEncoder } from '../../src/core/prior.ts';
import {
  checkPriorEncoder,
  encoderInstalled,
  FEATURIZATION,
  loadMiniLM,
  pairFeature,
  promptOf,
  promptResponseText,
} from '../../src/encoder/index.ts';
import { parseTextLine } from '../../src/offline/textJsonl.ts';
import { syntheticPrior } from './streams-fixtures.ts';

const minilm: PriorEncoder = { name: 'all-MiniLM-L6-v2-int8', checksum: 'sha256:aa', dim: 16, featurization: FEATURIZATION };
const other: PriorEncoder = { name: 'bge-small-en-v1.5', checksum: 'sha256:bb', dim: 16, featurization: FEATURIZATION };

describe('pair featurization', () => {
  it('is [(a + b) / 2 ; |a − b|] in float64', () => {
    const f = pairFeature(Float64Array.of(1, -0.5, 0.25), Float64Array.of(0, 0.5, 0.75));
    assert.deepEqual(Array.from(f), [0.5, 0, 0.5, 1, 1, 0.5]);
  });

  it('texts: prompt, blank line, response; the chat messages when there is no prompt', () => {
    assert.equal(promptResponseText('Q?', 'A.'), 'Q?\n\nA.');
    assert.equal(promptResponseText('', 'A.'), 'A.');
    assert.equal(promptOf({ prompt: 'Q?', messages: [{ role: 'user', content: 'other' }] }), 'Q?');
    assert.equal(
      promptOf({
        prompt: '',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Q?' },
        ],
      }),
      'system: Be brief.\nuser: Q?',
    );
    assert.equal(promptOf({}), '');
  });
});

describe('the prior records its encoder', () => {
  it('round-trips the encoder field exactly; files without one keep their bytes', () => {
    const p = syntheticPrior();
    const plain = serializePrior(p);
    assert.ok(!plain.includes('"encoder"'));
    const withEnc = { ...p, encoder: minilm };
    const text = serializePrior(withEnc);
    const back = parsePrior(JSON.parse(text), 'mem');
    assert.deepEqual(back.encoder, minilm);
    assert.equal(serializePrior(back), text);
  });

  it('refuses an encoder whose dimension is not the prior input width', () => {
    const json = JSON.parse(serializePrior({ ...syntheticPrior(), encoder: { ...minilm, dim: 768 } }));
    assert.throws(
      () => parsePrior(json, 'mem'),
      (e: unknown) => isRouterError(e, 'RR_INVALID_PRIOR') && e.field === 'encoder.dim',
    );
  });
});

describe('checkPriorEncoder', () => {
  it('accepts the same encoder, and any prior when the router has none', () => {
    checkPriorEncoder({ encoder: { ...minilm } }, minilm);
    checkPriorEncoder({ encoder: minilm }, null);
    checkPriorEncoder({}, null);
  });

  for (const [what, prior] of [
    ['another model', other],
    ['the same name with another checksum', { ...minilm, checksum: 'sha256:cc' }],
    ['another featurization', { ...minilm, featurization: 'concat@1' }],
    ['no encoder at all', undefined],
  ] as const) {
    it(`refuses a prior with ${what}: RR_ENCODER_MISMATCH naming both encoders`, () => {
      assert.throws(
        () => checkPriorEncoder(prior === undefined ? {} : { encoder: prior }, minilm, 'prior.json'),
        (e: unknown) => {
          assert.ok(isRouterError(e, 'RR_ENCODER_MISMATCH'), String(e));
          assert.match(e.message, /all-MiniLM-L6-v2-int8 \(sha256:aa/);
          assert.match(
            e.message,
            prior === undefined ? /none \(vectors supplied by the data\)/ : new RegExp(`${prior.name} \\(${prior.checksum}`),
          );
          assert.deepEqual((e as unknown as { routerEncoder: PriorEncoder }).routerEncoder, minilm);
          return true;
        },
      );
    });
  }
});

describe('offline text JSONL', () => {
  const line = (o: Record<string, unknown>) => JSON.stringify({ id: 'e1', prompt: 'Q?', responseA: 'a', responseB: 'b', ...o });

  it('reads per-RM labels', () => {
    const ex = parseTextLine(line({ category: 'Math', labels: { m1: 1, m2: false } }), 1, 'f')!;
    assert.deepEqual([ex.prompt, ex.responseA, ex.responseB, ex.category], ['Q?', 'a', 'b', 'Math']);
    assert.deepEqual(Array.from(ex.labels), [1, 0]);
    assert.deepEqual(ex.arms, ['m1', 'm2']);
  });

  it('turns per-RM scores into correctness against the preferred side (a tie is not correct)', () => {
    const ex = parseTextLine(line({ preferred: 'B', scores: { m1: [0.1, 0.9], m2: [2, -1], m3: [5, 5] } }), 1, 'f')!;
    assert.deepEqual(Array.from(ex.labels), [1, 0, 0]);
  });

  it('rejects bad lines with RR_INVALID_JSONL naming the field', () => {
    const bad = (text: string, field: string, arms?: string[]) =>
      assert.throws(
        () => parseTextLine(text, 3, 'f', arms),
        (e: unknown) => isRouterError(e, 'RR_INVALID_JSONL') && e.field === field && e.source === 'f:3',
      );
    bad(line({ labels: { m1: 1 }, scores: { m1: [1, 2] } }), 'labels');
    bad(line({}), 'labels');
    bad(line({ scores: { m1: [1, 2] } }), 'preferred');
    bad(line({ preferred: 'A', scores: { m1: [1, 'x'] } }), 'scores.m1');
    bad(line({ labels: { m1: 2 } }), 'labels.m1');
    bad(JSON.stringify({ id: 'e', responseA: 'a', responseB: 'b', labels: { m1: 1 } }), 'prompt');
    bad(line({ labels: { m2: 1 } }), 'labels.m2', ['m1']);
  });
});

describe('encoder installation errors', () => {
  it('a model directory without the model files → RR_ENCODER telling how to install it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rr-encoder-'));
    assert.equal(encoderInstalled(empty), false);
    await assert.rejects(loadMiniLM(empty), (e: unknown) => isRouterError(e, 'RR_ENCODER') && /encoder fetch/.test(e.message));
  });
});
