// validateGeneration's duplicate checks: pair ids (DUPLICATE_PAIR) and prompt ids (DUPLICATE_PROMPT,
// a reused prompt id with new pair ids), both remembered in bounded sets of the router's size.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, from, toArray } from 'rxjs';
import type { BusRecord } from '../../src/bus/types.ts';
import type { Work } from '../../src/operators/types.ts';
import { validateGeneration } from '../../src/operators/validateGeneration.ts';
import type { Generation } from '../../src/records/types.ts';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { BoundedSet } from '../../streams/router/boundedSet.ts';
import { simStream } from '../../streams/trainer/simulated.ts';
import { routeGenerations } from '../helpers/router.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const D = 2;
const record = (offset: string): BusRecord => ({ topic: 'g', partition: 0, offset, key: null, value: null, headers: {}, timestamp: '0' });
const gen = (promptId: string, pairIds: string[], embedding = [0.6, 0.8]): Generation => ({
  run: 'r',
  batch: 0,
  promptId,
  category: null,
  prompt: '',
  messages: [],
  pairs: pairIds.map((pairId) => ({ pairId, responseA: 'a', responseB: 'b', embedding })),
  sentAtMs: 0,
});

async function validate(gens: Generation[], capacity = 100, withPrompts = true) {
  const seen = new BoundedSet<string>(capacity);
  const seenPrompts = new BoundedSet<string>(capacity);
  const work: Work<Generation>[] = gens.map((g, i) => ({ record: record(String(i)), value: g, rejected: [] }));
  const out = await firstValueFrom(
    from(work).pipe(
      validateGeneration({ run: 'r', prior: { d: D, projection: null }, seen, ...(withPrompts ? { seenPrompts } : {}) }),
      toArray(),
    ),
  );
  return out.map((w) => ({
    routed: w.value?.pairs.map((p) => p.pairId) ?? [],
    rejected: w.rejected.map((r) => `${(r.error as { pairId?: string }).pairId}:${r.reason}`),
  }));
}

describe('validateGeneration: duplicate prompt ids', () => {
  it('a reused prompt id with new pair ids is DUPLICATE_PROMPT, pair by pair; the first record is routed', async () => {
    assert.deepEqual(await validate([gen('p1', ['a', 'b']), gen('p1', ['c', 'd']), gen('p2', ['e'])]), [
      { routed: ['a', 'b'], rejected: [] },
      { routed: [], rejected: ['c:DUPLICATE_PROMPT', 'd:DUPLICATE_PROMPT'] },
      { routed: ['e'], rejected: [] },
    ]);
  });

  it('a resent record stays DUPLICATE_PAIR (pair ids are checked first); a mix gives each its own reason', async () => {
    assert.deepEqual(await validate([gen('p1', ['a', 'b']), gen('p1', ['a', 'b']), gen('p1', ['a', 'z'])]), [
      { routed: ['a', 'b'], rejected: [] },
      { routed: [], rejected: ['a:DUPLICATE_PAIR', 'b:DUPLICATE_PAIR'] },
      { routed: [], rejected: ['a:DUPLICATE_PAIR', 'z:DUPLICATE_PROMPT'] },
    ]);
  });

  it('a prompt none of whose pairs was routed is not remembered: a corrected resend is routed', async () => {
    assert.deepEqual(await validate([gen('p1', ['a'], [Number.NaN, 0]), gen('p1', ['a'])]), [
      { routed: [], rejected: ['a:NON_FINITE'] },
      { routed: ['a'], rejected: [] },
    ]);
  });

  it('the memory is bounded: a prompt id older than the newest `capacity` is routed again (left to downstream dedupe)', async () => {
    assert.deepEqual(await validate([gen('p1', ['a']), gen('p2', ['b']), gen('p3', ['c']), gen('p1', ['d']), gen('p3', ['e'])], 2), [
      { routed: ['a'], rejected: [] },
      { routed: ['b'], rejected: [] },
      { routed: ['c'], rejected: [] },
      { routed: ['d'], rejected: [] },
      { routed: [], rejected: ['e:DUPLICATE_PROMPT'] },
    ]);
  });

  it('without seenPrompts (another caller) prompt ids are not checked', async () => {
    assert.deepEqual(await validate([gen('p1', ['a']), gen('p1', ['b'])], 100, false), [
      { routed: ['a'], rejected: [] },
      { routed: ['b'], rejected: [] },
    ]);
  });
});

describe('the router dedupes prompt ids', () => {
  it('a reused prompt id with new pair ids is a DUPLICATE_PROMPT dead letter; its pairs are not decided', async () => {
    const s = testSettings({ prefix: 'dupp.' });
    const codec = new SingleObjectCodec();
    const [p0, p1] = simStream(s).generateBatch(0).prompts;
    const pair = (x: { pairId: string; x: Float64Array }, pairId = x.pairId) => ({
      pairId,
      responseA: 'a',
      responseB: 'b',
      embedding: Array.from(x.x),
    });
    const g = (promptId: string, pairs: Generation['pairs']): Generation => ({ ...gen(promptId, []), run: s.run, pairs });
    const gens = [
      g(p0!.promptId, [pair(p0!.pairs[0]!)]),
      g(p0!.promptId, [pair(p0!.pairs[1]!, 'fresh-pair-id')]),
      g(p1!.promptId, [pair(p1!.pairs[0]!)]),
    ];
    const { dlq, decided } = await routeGenerations(s, gens, { codec, log: quietLog, dlqCount: 1, partition: 0 });
    assert.deepEqual(
      dlq.map((d) => [d.reason, d.sourceOffset]),
      [['DUPLICATE_PROMPT', '1']],
    );
    assert.match(dlq[0]!.message, /fresh-pair-id: prompt .* was already routed in this run/);
    assert.deepEqual(decided.sort(), [p0!.pairs[0]!.pairId, p1!.pairs[0]!.pairId].sort());
  });
});
