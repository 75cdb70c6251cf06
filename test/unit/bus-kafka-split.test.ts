import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LARGE_RECORD_BYTES, REQUEST_BYTES, splitForRequests } from '../../src/bus/kafka/convert.ts';
import type { OutRecord } from '../../src/bus/types.ts';
import { topicConfigs } from '../../src/records/topicConfigs.ts';
import { snapshotBytes } from '../../src/records/sizes.ts';

const rec = (bytes: number, tag: string): OutRecord => ({ topic: 't', key: Buffer.from(tag), value: Buffer.alloc(bytes) });

describe('splitting produce requests by size', () => {
  it('sends each large record alone and packs small ones under the request cap, in order', () => {
    const records = [
      rec(10, 'a'),
      rec(LARGE_RECORD_BYTES, 'B'),
      rec(10, 'c'),
      rec(LARGE_RECORD_BYTES + 1, 'D'),
      rec(LARGE_RECORD_BYTES * 2, 'E'),
      rec(10, 'f'),
    ];
    const parts = splitForRequests(records);
    assert.deepEqual(
      parts.map((p) => p.map((r) => r.key!.toString()).join('')),
      ['a', 'B', 'c', 'D', 'E', 'f'],
    );
    const many = Array.from({ length: 100 }, (_, i) => rec(20_000, String(i % 10)));
    const packed = splitForRequests(many);
    assert.deepEqual(packed.flat(), many);
    for (const p of packed) assert.ok(p.reduce((a, r) => a + r.value!.length + r.key!.length, 0) <= REQUEST_BYTES);
    assert.deepEqual(splitForRequests([]), []);
  });

  it('a posteriors topic never limits messages below the broker default, and fits one snapshot', () => {
    for (const d of [8, 64, 768]) {
      const limit = Number(topicConfigs('posteriors', { d })['max.message.bytes']);
      assert.ok(limit >= 1048588, `d=${d}: ${limit}`);
      assert.ok(limit >= snapshotBytes(d), `d=${d}`);
    }
  });
});
