/** Score v2 (pairs[].unscored), Score v3 and ScoringRequest v2 (audit), DeadLetter v1 (RM_UNAVAILABLE, RM_BAD_RESPONSE), DeadLetter v3 (RM_NO_VERDICT), DeadLetter v4 (DUPLICATE_PROMPT, bounded original), both ways. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { SchemaCatalog } from '../../src/avro/registry.ts';
import { encodeSingleObject } from '../../src/avro/singleObject.ts';
import type { DeadLetter, Score, ScoringRequest } from '../../src/records/types.ts';
import { plain, readBin, readValue } from '../fixtures/avro/golden.ts';

const catalog = SchemaCatalog.load();
const codec = new SingleObjectCodec(catalog);
const entry = (name: string, version: string) => catalog.entries().find((e) => e.name === name && e.version === version)!;
const readAs = (name: 'Score' | 'DeadLetter' | 'ScoringRequest', version: string, bytes: Buffer): Record<string, unknown> => {
  const reader = entry(name, version).type;
  return plain(reader.fromBuffer(bytes.subarray(10), reader.createResolver(catalog.schema(name).type))) as Record<string, unknown>;
};

describe('Score v2: pairs[].unscored', () => {
  it('a Score written with v1 (no unscored) reads with unscored null', () => {
    const cur = readValue('Score') as Score;
    const old = { ...cur, pairs: cur.pairs.map(({ unscored: _u, ...p }) => p) };
    const bytes = encodeSingleObject(entry('Score', 'v1'), old);
    assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema('Score').fingerprintLE);
    assert.deepEqual(plain(codec.decodeSync('scores', bytes)), { ...old, pairs: old.pairs.map((p) => ({ ...p, unscored: null })) });
  });

  it('a current Score reads with the v1 reader (unscored skipped); an unscored pair reads there as NaN scores', () => {
    const { audit: _a, ...cur } = readValue('Score') as Score;
    assert.deepEqual(readAs('Score', 'v1', readBin('Score')), { ...cur, pairs: cur.pairs.map(({ unscored: _u, ...p }) => p) });
    const withUnscored: Score = {
      ...cur,
      pairs: [...cur.pairs, { pairId: 'p-0007/1', index: 1, scoreA: NaN, scoreB: NaN, unscored: 'RM_UNAVAILABLE' }],
    };
    const bytes = codec.encodeSync('scores', withUnscored);
    const back = plain(codec.decodeSync('scores', bytes)) as Score;
    assert.equal(back.pairs[1]!.unscored, 'RM_UNAVAILABLE');
    assert.ok(Number.isNaN(back.pairs[1]!.scoreA) && Number.isNaN(back.pairs[1]!.scoreB));
    const old = readAs('Score', 'v1', bytes) as unknown as Score;
    assert.equal('unscored' in old.pairs[1]!, false);
    assert.ok(Number.isNaN(old.pairs[1]!.scoreA), 'an earlier labeler sees a non-finite pair: not decisive');
  });

  it('a writer that omits unscored encodes null', () => {
    const cur = readValue('Score') as Score;
    const omitted = { ...cur, pairs: cur.pairs.map(({ unscored: _u, ...p }) => p) };
    assert.deepEqual(codec.encodeSync('scores', omitted), readBin('Score'));
  });
});

describe('Score v3 and ScoringRequest v2: audit (shadow scoring)', () => {
  for (const [name, base, prev] of [
    ['Score', 'scores', 'v2'],
    ['ScoringRequest', 'requests', 'v1'],
  ] as const) {
    it(`a ${name} written with ${prev} (no audit) reads with audit false`, () => {
      const { audit: _a, ...old } = readValue(name) as Score | ScoringRequest;
      const bytes = encodeSingleObject(entry(name, prev), old);
      assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema(name).fingerprintLE);
      assert.deepEqual(plain(codec.decodeSync(base, bytes)), { ...(plain(old) as object), audit: false });
    });

    it(`a current ${name} with audit true reads with the ${prev} reader (field skipped) and as audit true now`, () => {
      const { audit: _a, ...rest } = readValue(name) as Score | ScoringRequest;
      const bytes = codec.encodeSync(base, { ...rest, audit: true } as never);
      assert.equal((codec.decodeSync(base, bytes) as Score | ScoringRequest).audit, true);
      assert.deepEqual(readAs(name, prev, bytes), plain(rest));
    });

    it(`a ${name} writer that omits audit encodes false (the golden bytes)`, () => {
      const { audit: _a, ...rest } = readValue(name) as Score | ScoringRequest;
      assert.equal((readValue(name) as { audit: boolean }).audit, false);
      assert.deepEqual(codec.encodeSync(base, rest as never), readBin(name));
    });
  }
});

describe('DeadLetter v1: RM reasons', () => {
  it('a DeadLetter written with v0 reads with the current reader', () => {
    const v = readValue('DeadLetter') as DeadLetter;
    assert.deepEqual(plain(codec.decodeSync('dlq', encodeSingleObject(entry('DeadLetter', 'v0'), v))), plain(v));
  });

  it('RM_UNAVAILABLE and RM_BAD_RESPONSE read as INVALID_RECORD with the v0 reader (enum default), and as themselves now', () => {
    for (const reason of ['RM_UNAVAILABLE', 'RM_BAD_RESPONSE'] as const) {
      const bytes = codec.encodeSync('dlq', { ...(readValue('DeadLetter') as DeadLetter), reason });
      assert.equal(readAs('DeadLetter', 'v0', bytes).reason, 'INVALID_RECORD');
      assert.equal((codec.decodeSync('dlq', bytes) as DeadLetter).reason, reason);
    }
  });
});

describe('DeadLetter v3: RM_NO_VERDICT (a judge answer without a verdict)', () => {
  it('a DeadLetter written with v2 reads with the current reader', () => {
    const v = readValue('DeadLetter') as DeadLetter;
    const bytes = encodeSingleObject(entry('DeadLetter', 'v2'), v);
    assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema('DeadLetter').fingerprintLE);
    assert.deepEqual(plain(codec.decodeSync('dlq', bytes)), plain(v));
  });

  it('RM_NO_VERDICT reads as INVALID_RECORD with the v2, v1 and v0 readers (enum default), and as itself now', () => {
    const bytes = codec.encodeSync('dlq', { ...(readValue('DeadLetter') as DeadLetter), reason: 'RM_NO_VERDICT' });
    for (const v of ['v0', 'v1', 'v2']) assert.equal(readAs('DeadLetter', v, bytes).reason, 'INVALID_RECORD', v);
    assert.equal((codec.decodeSync('dlq', bytes) as DeadLetter).reason, 'RM_NO_VERDICT');
    const { reason: _r, originalLength: _l, originalSha256: _s, ...rest } = plain(codec.decodeSync('dlq', bytes)) as DeadLetter;
    const { reason: _o, ...old } = readAs('DeadLetter', 'v2', bytes);
    assert.deepEqual(old, rest, 'every other field reads the same');
  });
});

describe('DeadLetter v4: DUPLICATE_PROMPT, originalLength and originalSha256 (a bounded original)', () => {
  it('a DeadLetter written with v3 reads with the current reader (originalLength and originalSha256 null: the original is whole)', () => {
    const { originalLength: _l, originalSha256: _s, ...v } = readValue('DeadLetter') as DeadLetter;
    const bytes = encodeSingleObject(entry('DeadLetter', 'v3'), v);
    assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema('DeadLetter').fingerprintLE);
    assert.deepEqual(plain(codec.decodeSync('dlq', bytes)), { ...(plain(v) as object), originalLength: null, originalSha256: null });
  });

  it('a current bounded DUPLICATE_PROMPT letter reads with the v3 reader (new fields skipped, reason INVALID_RECORD) and as itself now', () => {
    const cur: DeadLetter = {
      ...(readValue('DeadLetter') as DeadLetter),
      reason: 'DUPLICATE_PROMPT',
      originalLength: 1_000_000,
      originalSha256: Buffer.alloc(32, 7),
    };
    const bytes = codec.encodeSync('dlq', cur);
    assert.deepEqual(plain(codec.decodeSync('dlq', bytes)), plain(cur));
    for (const v of ['v0', 'v1', 'v2', 'v3']) assert.equal(readAs('DeadLetter', v, bytes).reason, 'INVALID_RECORD', v);
    const { reason: _r, originalLength: _l, originalSha256: _s, ...rest } = plain(cur) as DeadLetter;
    const { reason: _o, ...old } = readAs('DeadLetter', 'v3', bytes);
    assert.deepEqual(old, rest, 'every other field reads the same');
  });

  it('a writer that omits originalLength and originalSha256 encodes null (the golden bytes)', () => {
    const { originalLength: _l, originalSha256: _s, ...rest } = readValue('DeadLetter') as DeadLetter;
    assert.deepEqual(codec.encodeSync('dlq', rest), readBin('DeadLetter'));
  });
});
