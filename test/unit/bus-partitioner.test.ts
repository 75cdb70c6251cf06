// Key → partition must match kafkajs's DefaultPartitioner exactly, or the in-process bus and Kafka
// would disagree about which partition (and so which consumer) a key belongs to.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Partitioners } from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import { murmur2, partitionForKey } from '../../src/bus/partitioner.ts';

const require = createRequire(import.meta.url);
// kafkajs's own murmur2 (not exported from its index; the file is stable across 2.x).
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

/** Deterministic keys of every length 0..63 and every byte value, plus typical run:prompt keys. */
function keys(): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n < 64; n++) out.push(Buffer.from(Array.from({ length: n }, (_, j) => (j * 151 + n * 17) & 0xff)));
  for (let i = 0; i < 500; i++) out.push(Buffer.from(`run-${i % 7}:prompt-${i}`));
  out.push(Buffer.from('é漢字🙂'));
  return out;
}

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));

describe('bus partitioner', () => {
  it('murmur2 equals kafkajs murmur2 on every key', () => {
    for (const key of keys()) assert.equal(murmur2(key), kafkajsMurmur2(key), key.toString('hex'));
  });

  it('partitionForKey equals kafkajs DefaultPartitioner for 1..12 partitions', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (let n = 1; n <= 12; n++) {
      for (const key of keys()) {
        const expected = partitioner({ topic: 't', partitionMetadata: metadata(n), message: { key, value: null } });
        assert.equal(partitionForKey(key, n), expected, `${key.toString('hex')} over ${n}`);
      }
    }
  });

  it('matches known Java-client values', () => {
    // Utils.murmur2 reference values from the Apache Kafka client tests (UtilsTest#testMurmur2).
    assert.equal(murmur2(Buffer.from('21')), -973932308);
    assert.equal(murmur2(Buffer.from('foobar')), -790332482);
    assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
    assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
    assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  });
});
