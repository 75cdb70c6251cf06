// embedGenerations: fills in the vectors of pairs that came without one, one encoder call per record;
// every path where it cannot ends as a dead-letter reason downstream. The encoder here is a small
// deterministic stand-in (the operator's contract does not depend on the model; encoder-model.test.ts
// runs the real one through the router).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, from, toArray } from 'rxjs';
import { RouterError } from '../../src/core/errors.ts';
import { FEATURIZATION } from '../../src/encoder/featurize.ts';
import type { PairEncoder, PairText } from '../../src/encoder/types.ts';
import { embedGenerations } from '../../src/operators/embedGenerations.ts';
import type { Work } from '../../src/operators/types.ts';
import { validateGeneration } from '../../src/operators/validateGeneration.ts';
import type { BusRecord } from '../../src/bus/types.ts';
import type { Generation } from '../../src/records/types.ts';

const W = 4;
/** Feature = [len(prompt), len(a), len(b), 1]: distinct per pair, easy to check. */
function lengthEncoder(): PairEncoder & { calls: PairText[][] } {
  const calls: PairText[][] = [];
  return {
    calls,
    info: { name: 'length', checksum: 'sha256:00', dim: W, featurization: FEATURIZATION },
    async embedPairs(pairs) {
      calls.push([...pairs]);
      return pairs.map((p) => Float64Array.of(p.prompt.length, p.responseA.length, p.responseB.length, 1));
    },
    async close() {},
  };
}

const record = (offset: string): BusRecord => ({ topic: 'g', partition: 0, offset, key: null, value: null, headers: {}, timestamp: '0' });
const gen = (prompt: string, embeddings: number[][]): Generation => ({
  run: 'r',
  batch: 0,
  promptId: 'p',
  category: null,
  prompt,
  messages: [],
  sentAtMs: 0,
  pairs: embeddings.map((e, i) => ({ pairId: `p-${i}`, responseA: 'a'.repeat(i + 1), responseB: 'bb', embedding: e })),
});
const work = (g: Generation, offset = '0'): Work<Generation> => ({ record: record(offset), value: g, rejected: [] });
const run = (enc: PairEncoder | null, items: Work<Generation>[]) => firstValueFrom(from(items).pipe(embedGenerations(enc), toArray()));

describe('embedGenerations', () => {
  it('fills only the pairs without a vector, in one call per record; supplied vectors stay as they are', async () => {
    const enc = lengthEncoder();
    const [out] = await run(enc, [work(gen('why?', [[9, 9, 9, 9], [], []]))]);
    assert.equal(enc.calls.length, 1);
    assert.deepEqual(
      enc.calls[0]!.map((p) => p.responseA),
      ['aa', 'aaa'],
    );
    assert.deepEqual(
      out!.value!.pairs.map((p) => p.embedding),
      [
        [9, 9, 9, 9],
        [4, 2, 2, 1],
        [4, 3, 2, 1],
      ],
    );
    assert.deepEqual(out!.rejected, []);
  });

  it('uses the chat messages as the prompt when the prompt text is empty', async () => {
    const enc = lengthEncoder();
    const g = { ...gen('', [[]]), messages: [{ role: 'user', content: 'hi' }] };
    const [out] = await run(enc, [work(g)]);
    assert.equal(enc.calls[0]![0]!.prompt, 'user: hi');
    assert.deepEqual(out!.value!.pairs[0]!.embedding, [8, 1, 2, 1]);
  });

  it('keeps the order of records (offsets are acknowledged in order)', async () => {
    const out = await run(
      lengthEncoder(),
      ['0', '1', '2'].map((o) => work(gen('q', [[]]), o)),
    );
    assert.deepEqual(
      out.map((w) => w.record.offset),
      ['0', '1', '2'],
    );
  });

  it('without an encoder, or without prompt text, a pair with no vector is dead-lettered WRONG_VECTOR_LENGTH', async () => {
    const prior = { d: W, projection: null };
    for (const [enc, g] of [
      [null, gen('q', [[], [1, 0, 0, 0]])],
      [lengthEncoder(), gen('', [[], [1, 0, 0, 0]])],
    ] as const) {
      const [out] = await firstValueFrom(
        from([work(g)]).pipe(embedGenerations(enc), validateGeneration({ run: 'r', prior, seen: new Set() }), toArray()),
      );
      assert.deepEqual(
        out!.value!.pairs.map((p) => p.pairId),
        ['p-1'],
        'the pair with a vector is still routed',
      );
      assert.deepEqual(
        out!.rejected.map((r) => r.reason),
        ['WRONG_VECTOR_LENGTH'],
      );
      assert.match(String(out!.rejected[0]!.error), /p-0: no embedding, and the router could not embed it/);
    }
  });

  it('an encoder failure rejects the record as INVALID_RECORD, naming the encoder', async () => {
    const failing: PairEncoder = {
      ...lengthEncoder(),
      async embedPairs() {
        throw new RouterError('RR_ENCODER', 'onnxruntime: out of memory');
      },
    };
    const [out] = await run(failing, [work(gen('q', [[]]))]);
    assert.equal(out!.value, undefined);
    assert.equal(out!.rejected[0]!.reason, 'INVALID_RECORD');
    assert.match(String(out!.rejected[0]!.error), /encoder length failed on p: onnxruntime: out of memory/);
  });
});
