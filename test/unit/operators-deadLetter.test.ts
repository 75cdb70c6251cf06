// Dead letters always fit the dlq topic: an original that would not fit whole keeps a prefix,
// its full length and SHA-256, and the letter still points to the source position.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { codecError } from '../../src/avro/errors.ts';
import type { BusRecord, Clock } from '../../src/bus/types.ts';
import { DEFAULT_DEAD_LETTER_BYTES, deadLetter, MAX_MESSAGE_BYTES } from '../../src/operators/deadLetter.ts';
import { deadLetterValueBytes, dlqMaxMessageBytes, RECORD_TOPIC_MAX_BYTES } from '../../src/records/topicConfigs.ts';
import type { DeadLetter } from '../../src/records/types.ts';

const codec = new SingleObjectCodec();
const clock: Clock = { now: () => 1_767_225_660_000 };
const err = codecError('RR_INVALID_RECORD', 'RESPONSE_TOO_LARGE', 'pair p-1: a response too large');

/** A source record of `n` value bytes, deterministic content. */
function source(n: number): BusRecord {
  const value = Buffer.alloc(n);
  for (let i = 0; i < n; i++) value[i] = (i * 31 + 7) & 0xff;
  return {
    topic: 'rr.generations',
    partition: 3,
    offset: '9007199254740993',
    key: Buffer.from('run-1:prompt-9'),
    value,
    headers: {},
    timestamp: '0',
  };
}

const letterOf = async (n: number, bound: number) => {
  const out = await deadLetter(codec, clock, 'rr.', 'router', source(n), err, undefined, bound);
  assert.equal(out.topic, 'rr.dlq');
  assert.deepEqual(out.key, Buffer.from('run-1:prompt-9'));
  return { bytes: out.value!, letter: codec.decodeSync('dlq', out.value!) as DeadLetter };
};

/** The encoded size of the unbounded letter of an n-byte original. */
const wholeSize = async (n: number): Promise<number> => (await letterOf(n, Number.MAX_SAFE_INTEGER)).bytes.length;

function assertPointsToSource(letter: DeadLetter): void {
  assert.equal(letter.sourceTopic, 'rr.generations');
  assert.equal(letter.sourcePartition, 3);
  assert.equal(letter.sourceOffset, '9007199254740993');
  assert.equal(letter.reason, 'RESPONSE_TOO_LARGE');
  assert.deepEqual(letter.originalKey, Buffer.from('run-1:prompt-9'));
}

describe('deadLetter: bounded by the dlq topic', () => {
  const bound = 100_000;

  it('an original whose letter is below or at the bound is kept whole (originalLength, originalSha256 null)', async () => {
    const envelope = (await wholeSize(1000)) - 1000; // same varint width (2 bytes) for 1000 and the ns below
    for (const target of [bound - 5000, bound - 1, bound]) {
      const n = target - envelope - 1; // one more varint byte from 16384 on
      assert.equal(await wholeSize(n), target, `fixture: a letter of ${target} bytes`);
      const { bytes, letter } = await letterOf(n, bound);
      assert.equal(bytes.length, target);
      assertPointsToSource(letter);
      assert.deepEqual(letter.original, source(n).value);
      assert.equal(letter.originalLength, null);
      assert.equal(letter.originalSha256, null);
    }
  });

  it('an original whose letter is above the bound keeps a prefix, its full length and SHA-256; the letter fits', async () => {
    const envelope = (await wholeSize(1000)) - 1000;
    const atBound = bound - envelope - 1;
    for (const n of [atBound + 1, atBound + 2, atBound + 1000, 10 * bound, 3 * 1024 * 1024]) {
      assert.ok((await wholeSize(n)) > bound);
      const { bytes, letter } = await letterOf(n, bound);
      assert.ok(bytes.length <= bound, `${n}: ${bytes.length} > ${bound}`);
      assert.ok(bytes.length >= bound - 100, `${n}: the prefix uses the room (${bytes.length})`);
      assertPointsToSource(letter);
      const full = source(n).value!;
      assert.equal(letter.originalLength, n);
      assert.deepEqual(letter.originalSha256, createHash('sha256').update(full).digest());
      assert.ok(letter.original.length < n);
      assert.deepEqual(letter.original, full.subarray(0, letter.original.length));
    }
  });

  it('the same record gives the same letter (no randomness, the clock injected)', async () => {
    assert.deepEqual((await letterOf(200_000, bound)).bytes, (await letterOf(200_000, bound)).bytes);
  });

  it('a message longer than MAX_MESSAGE_BYTES is cut on a character boundary', async () => {
    const long = codecError('RR_INVALID_RECORD', 'INVALID_RECORD', 'é'.repeat(5000));
    const out = await deadLetter(codec, clock, 'rr.', 'router', source(10), long, undefined, bound);
    const m = (codec.decodeSync('dlq', out.value!) as DeadLetter).message;
    assert.ok(Buffer.byteLength(m, 'utf8') <= MAX_MESSAGE_BYTES);
    assert.ok(m.startsWith('éé') && m.endsWith('…') && !m.includes('\ufffd'));
  });

  it("the default bound is the smallest dlq topic's; a record as large as a whole generations limit is kept whole there", async () => {
    assert.equal(DEFAULT_DEAD_LETTER_BYTES, deadLetterValueBytes(dlqMaxMessageBytes({ d: 0 })));
    const { bytes, letter } = await letterOf(RECORD_TOPIC_MAX_BYTES, DEFAULT_DEAD_LETTER_BYTES);
    assert.ok(bytes.length <= DEFAULT_DEAD_LETTER_BYTES);
    assert.equal(letter.originalLength, null);
    const big = await letterOf(2 * RECORD_TOPIC_MAX_BYTES, DEFAULT_DEAD_LETTER_BYTES);
    assert.ok(big.bytes.length <= DEFAULT_DEAD_LETTER_BYTES);
    assert.equal(big.letter.originalLength, 2 * RECORD_TOPIC_MAX_BYTES);
  });

  it('throws when not even an empty original fits (a bound below the envelope)', async () => {
    await assert.rejects(deadLetter(codec, clock, 'rr.', 'router', source(10), err, undefined, 50), /exceeds the dlq bound/);
  });
});
