import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { reasonOf } from '../../src/avro/errors.ts';
import { bytesToF64, f64ToBytes } from '../../src/avro/f64.ts';
import { SchemaCatalog } from '../../src/avro/registry.ts';
import { decodeSingleObject, encodeSingleObject, MARKER } from '../../src/avro/singleObject.ts';
import { isRouterError, type ErrorCode } from '../../src/core/errors.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { topicSpecs, type TopicBase } from '../../src/records/topics.ts';
import { recordNames, type DeadLetterReason, type Decision, type Feedback } from '../../src/records/types.ts';
import { plain, readBin, readValue, UPDATE, writeBin } from '../fixtures/avro/golden.ts';

const catalog = SchemaCatalog.load();
const codec = new SingleObjectCodec(catalog);
const baseOf = (name: string): TopicBase => Object.values(topicSpecs).find((s) => s.record === name)!.base;

function rejects(fn: () => unknown, code: ErrorCode, reason: DeadLetterReason): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRouterError(e, code), `expected ${code}, got ${String(e)}`);
    assert.equal((e as { reason?: unknown }).reason, reason);
    assert.equal(reasonOf(e), reason);
    return true;
  });
}

describe('golden single-object fixtures (test/fixtures/avro)', () => {
  for (const name of recordNames) {
    it(`${name}: encodes byte for byte to ${name}.bin and decodes back`, async () => {
      const value = readValue(name);
      const bytes = await codec.encode(baseOf(name), value as never);
      if (UPDATE) writeBin(name, bytes);
      const golden = readBin(name);
      assert.deepEqual(bytes, golden);
      assert.deepEqual(golden.subarray(0, 2), MARKER);
      assert.deepEqual(golden.subarray(2, 10), catalog.schema(name).fingerprintLE);
      assert.deepEqual(plain(await codec.decode(baseOf(name), golden)), plain(value));
    });
  }
});

describe('single-object codec', () => {
  it('round-trips a BATCH_END feedback (nullable fields null)', () => {
    const fb: Feedback = { run: 'r', batch: 9, kind: 'BATCH_END', pairId: null, loss: null, expectedPairs: 512 };
    assert.deepEqual(plain(codec.decodeSync('feedback', codec.encodeSync('feedback', fb))), fb);
  });

  it('round-trips doubles bit for bit, -0 and subnormals included', () => {
    const seq = new CounterRng(7, 'avro').sequence('doubles');
    const buf = new Float64Array(1);
    const bits = new BigUint64Array(buf.buffer);
    const values = [-0, 0, 5e-324, -Number.MAX_VALUE, Number.EPSILON];
    for (let i = 0; i < 500; i++) {
      // Random bit patterns (finite ones only: NaN payloads need not survive), plus gaussian values.
      bits[0] = (BigInt(Math.floor(seq.uniform() * 2 ** 32)) << 32n) | BigInt(Math.floor(seq.uniform() * 2 ** 32));
      if (Number.isFinite(buf[0]!)) values.push(buf[0]!);
      values.push(seq.normal() * 1e3);
    }
    const d: Decision = readValue('Decision') as Decision;
    const back = codec.decodeSync('decisions', codec.encodeSync('decisions', { ...d, context: values })) as Decision;
    assert.equal(back.context.length, values.length);
    values.forEach((v, i) => assert.ok(Object.is(back.context[i], v), `index ${i}: ${v} → ${back.context[i]}`));
  });

  it('f64ToBytes / bytesToF64: little-endian, exact, length-checked', () => {
    const v = Float64Array.from([1, -0, 0.1, -2.5e-310]);
    const b = f64ToBytes(v);
    assert.equal(b.length, 32);
    assert.equal(b.readDoubleLE(8), -0);
    assert.ok(Object.is(bytesToF64(b)[1], -0));
    assert.deepEqual(bytesToF64(b, 4), v);
    assert.deepEqual(f64ToBytes([1, 2]), f64ToBytes(Float64Array.of(1, 2)));
    const unaligned = Buffer.concat([Buffer.of(9), b]).subarray(1);
    assert.deepEqual(bytesToF64(unaligned), v);
    rejects(() => bytesToF64(b.subarray(0, 12)), 'RR_INVALID_RECORD', 'WRONG_VECTOR_LENGTH');
    rejects(() => bytesToF64(b, 3), 'RR_INVALID_RECORD', 'WRONG_VECTOR_LENGTH');
  });

  it('rejects a value that does not match its schema with RR_ENCODE naming the field', () => {
    const label = readValue('Label') as { pairs: object[] };
    const bad = { ...label, pairs: [{ ...label.pairs[0], chosen: 'C' }] };
    assert.throws(
      () => codec.encodeSync('labels', bad as never),
      (e: unknown) => isRouterError(e, 'RR_ENCODE') && /chosen: "C"/.test(String(e.field)),
    );
  });
});

describe('schema evolution (BACKWARD: old writers, new reader)', () => {
  const v0 = (name: string) => catalog.entries().find((e) => e.name === name && e.version === 'v0')!;

  it('reads a Score written with v0 (no modelVersion) with the default filled', () => {
    const {
      modelVersion: _drop,
      promptPairs: _p,
      pairs,
      ...rest
    } = readValue('Score') as Record<string, unknown> & { pairs: { index: number }[] };
    const old = { ...rest, pairs: pairs.map(({ index: _i, ...p }) => p) };
    const bytes = encodeSingleObject(v0('Score'), old);
    assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema('Score').fingerprintLE);
    // v1 fields read as their defaults: modelVersion "unknown", promptPairs 0, index −1
    assert.deepEqual(plain(codec.decodeSync('scores', bytes)), {
      ...rest,
      modelVersion: 'unknown',
      promptPairs: 0,
      pairs: old.pairs.map((p) => ({ ...p, index: -1 })),
    });
  });

  it('reads a Generation written with v0 (no category) as category null', () => {
    const { category: _drop, ...old } = readValue('Generation') as Record<string, unknown>;
    const value = plain(codec.decodeSync('generations', encodeSingleObject(v0('Generation'), old))) as Record<string, unknown>;
    assert.equal(value.category, null);
    assert.deepEqual(value.pairs, plain(old.pairs));
  });

  const entry = (name: string, version: string) => catalog.entries().find((e) => e.name === name && e.version === version)!;

  it('reads a Generation written with v1 (no prompt, no messages) as prompt "" and messages []', () => {
    const { prompt: _p, messages: _m, ...old } = readValue('Generation') as Record<string, unknown>;
    const bytes = encodeSingleObject(entry('Generation', 'v1'), old);
    assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema('Generation').fingerprintLE);
    assert.deepEqual(plain(codec.decodeSync('generations', bytes)), { ...(plain(old) as object), prompt: '', messages: [] });
  });

  it('reads a ScoringRequest written with v0 (no prompt, no messages) as prompt "" and messages []', () => {
    const { prompt: _p, messages: _m, ...old } = readValue('ScoringRequest') as Record<string, unknown>;
    const bytes = encodeSingleObject(entry('ScoringRequest', 'v0'), old);
    assert.deepEqual(plain(codec.decodeSync('requests', bytes)), { ...(plain(old) as object), prompt: '', messages: [] });
  });
});

describe('schema evolution (FORWARD: new writers, previous readers)', () => {
  const entry = (name: string, version: string) => catalog.entries().find((e) => e.name === name && e.version === version)!;
  // What a reader built from the previous schema does with a current record: resolve writer → its own schema.
  const readAs = (name: 'Generation' | 'ScoringRequest', version: string): unknown => {
    const reader = entry(name, version).type;
    const body = readBin(name).subarray(10);
    return plain(reader.fromBuffer(body, reader.createResolver(catalog.schema(name).type)));
  };

  it('a current Generation (prompt, messages, a pair with no vector) reads with the v1 reader: same fields, new ones skipped', () => {
    const { prompt: _p, messages: _m, ...rest } = readValue('Generation') as Record<string, unknown>;
    assert.deepEqual(readAs('Generation', 'v1'), plain(rest));
    const pairs = rest.pairs as { embedding: number[] }[];
    assert.equal(pairs[1]!.embedding.length, 0, 'the fixture has a pair whose vector is not supplied (empty array)');
  });

  it('a current Generation reads with the v0 reader (no category either)', () => {
    const { prompt: _p, messages: _m, category: _c, ...rest } = readValue('Generation') as Record<string, unknown>;
    assert.deepEqual(readAs('Generation', 'v0'), plain(rest));
  });

  it('a current ScoringRequest reads with the v0 reader', () => {
    const { prompt: _p, messages: _m, audit: _a, ...rest } = readValue('ScoringRequest') as Record<string, unknown>;
    assert.deepEqual(readAs('ScoringRequest', 'v0'), plain(rest));
  });

  it('a writer that omits prompt and messages encodes their defaults', () => {
    const { prompt: _p, messages: _m, ...rest } = readValue('Generation') as Record<string, unknown>;
    const back = plain(codec.decodeSync('generations', codec.encodeSync('generations', rest as never))) as Record<string, unknown>;
    assert.equal(back.prompt, '');
    assert.deepEqual(back.messages, []);
  });
});

describe('schema evolution (enums)', () => {
  it('a DeadLetter reason from a newer writer reads as INVALID_RECORD (enum default)', () => {
    const newer = JSON.parse(JSON.stringify(catalog.schema('DeadLetter').json));
    newer.fields.find((f: { name: string }) => f.name === 'reason').type.symbols.push('RATE_LIMITED');
    const writer = avro.Type.forSchema(newer);
    const body = writer.toBuffer({ ...(readValue('DeadLetter') as object), reason: 'RATE_LIMITED' });
    const reader = catalog.schema('DeadLetter').type;
    assert.equal(reader.fromBuffer(body, reader.createResolver(writer)).reason, 'INVALID_RECORD');
  });
});

describe('decode failures are typed, with the DeadLetter reason', () => {
  const good = readBin('Score');

  it('garbage bytes → RR_DECODE / UNDECODABLE', () => {
    rejects(() => codec.decodeSync('scores', Buffer.from('{"run":"not avro"}')), 'RR_DECODE', 'UNDECODABLE');
    rejects(() => codec.decodeSync('scores', Buffer.alloc(0)), 'RR_DECODE', 'UNDECODABLE');
  });

  it('wrong marker (Confluent framing, C3 02) → RR_DECODE / UNDECODABLE', () => {
    rejects(() => codec.decodeSync('scores', Buffer.concat([Buffer.of(0, 0, 0, 0, 1), good.subarray(10)])), 'RR_DECODE', 'UNDECODABLE');
    const c302 = Buffer.from(good);
    c302[1] = 0x02;
    rejects(() => codec.decodeSync('scores', c302), 'RR_DECODE', 'UNDECODABLE');
  });

  it('unknown fingerprint → RR_UNKNOWN_SCHEMA / UNKNOWN_SCHEMA', () => {
    const unknown = Buffer.from(good);
    unknown.writeBigUInt64LE(0x0123456789abcdefn, 2);
    rejects(() => codec.decodeSync('scores', unknown), 'RR_UNKNOWN_SCHEMA', 'UNKNOWN_SCHEMA');
  });

  it('a known writer of another record (a Label read as a Score) → RR_UNKNOWN_SCHEMA', () => {
    rejects(() => codec.decodeSync('scores', readBin('Label')), 'RR_UNKNOWN_SCHEMA', 'UNKNOWN_SCHEMA');
  });

  it('truncated body, at every length → RR_DECODE / UNDECODABLE', () => {
    for (let n = 10; n < good.length; n++) rejects(() => codec.decodeSync('scores', good.subarray(0, n)), 'RR_DECODE', 'UNDECODABLE');
  });

  it('trailing bytes → RR_DECODE / UNDECODABLE', () => {
    rejects(() => codec.decodeSync('scores', Buffer.concat([good, Buffer.of(0)])), 'RR_DECODE', 'UNDECODABLE');
  });

  it('a garbage body with a huge array count fails fast instead of looping', () => {
    // Score body: run "r", batch 0, promptId "p", rm "m", modelVersion "v", latencyMs, promptPairs 0, then pairs count ≈ 2^62.
    // The bounds guard rejects the count against the bytes left before avsc would iterate over it.
    const body = Buffer.concat([Buffer.from('0272000270026d0276', 'hex'), Buffer.alloc(8), Buffer.from('00feffffffffffffff7f', 'hex')]);
    const buf = Buffer.concat([MARKER, catalog.schema('Score').fingerprintLE, body]);
    rejects(() => decodeSingleObject(catalog, catalog.schema('Score'), buf), 'RR_DECODE', 'UNDECODABLE');
    assert.throws(() => codec.decodeSync('scores', buf), /block of \d+ items with 0 bytes left/);
  });
});

describe('the encode scratch and the bounds guard on arrays of doubles', () => {
  const generation = (pairs: number, d: number) => ({
    run: 'r',
    batch: 3,
    promptId: 'p',
    category: null,
    prompt: 'q',
    messages: [],
    sentAtMs: 1,
    pairs: Array.from({ length: pairs }, (_, k) => ({
      pairId: `p/${k}`,
      responseA: 'a',
      responseB: 'b',
      embedding: Array.from({ length: d }, (_, j) => (k * d + j) / 7 - 3),
    })),
  });

  it('writes the same bytes as marker + fingerprint + avsc toBuffer, below 1 KiB, above it, and above the scratch (it grows)', () => {
    const entry = catalog.schema('Generation');
    for (const [pairs, d] of [
      [1, 4],
      [15, 64],
      [40, 512],
    ] as const) {
      const value = generation(pairs, d);
      const bytes = codec.encodeSync('generations', value);
      assert.deepEqual(bytes, Buffer.concat([MARKER, entry.fingerprintLE, entry.type.toBuffer(value)]));
      assert.deepEqual(plain(codec.decodeSync('generations', bytes)), plain(value));
    }
    // A small one after the big one still gets exactly its own bytes.
    assert.deepEqual(
      codec.encodeSync('generations', generation(1, 4)),
      Buffer.concat([MARKER, entry.fingerprintLE, entry.type.toBuffer(generation(1, 4))]),
    );
  });

  it('a Generation cut at every length inside its embeddings → RR_DECODE / UNDECODABLE', () => {
    const good = codec.encodeSync('generations', generation(2, 8));
    for (let n = 10; n < good.length; n++) rejects(() => codec.decodeSync('generations', good.subarray(0, n)), 'RR_DECODE', 'UNDECODABLE');
  });

  it('a double-array count that fits the bytes left as items but not as doubles fails in the guard', () => {
    const entry = catalog.schema('Generation');
    const body = entry.type.toBuffer(generation(1, 4));
    // The body ends: embedding count 08 (zig-zag 4), 32 bytes of doubles, 00 (embedding end),
    // 00 (pairs end), sentAtMs 02. Claim 30 items instead: 30 ≤ the bytes left, 240 bytes of doubles are not.
    const pos = body.length - 36;
    assert.equal(body[pos], 0x08);
    const bad = Buffer.from(body);
    bad[pos] = 60; // zig-zag 30
    assert.throws(() => codec.decodeSync('generations', Buffer.concat([MARKER, entry.fingerprintLE, bad])), /runs past the end/);
  });
});
