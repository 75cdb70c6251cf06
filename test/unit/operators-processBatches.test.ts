import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, map, of, toArray } from 'rxjs';
import type { AckableBatch } from '../../src/bus/flow.ts';
import type { BusRecord, OutRecord, TopicPartitionOffset } from '../../src/bus/types.ts';
import { MAX_SEND_BYTES, processBatches } from '../../src/operators/processBatches.ts';

const rec = (partition: number, offset: number): BusRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  key: null,
  value: Buffer.alloc(1),
  headers: {},
  timestamp: '0',
});

function batch(partition: number, offsets: number[], acks: string[]): AckableBatch {
  return { topic: 't', partition, records: offsets.map((o) => rec(partition, o)), ack: () => acks.push(`${partition}:${offsets.at(-1)}`) };
}

describe('processBatches', () => {
  it("sends a batch's outputs in chunks under the size cap, then marks offsets and acks in batch order", async () => {
    const sends: number[] = [];
    const commits: TopicPartitionOffset[][] = [];
    const acks: string[] = [];
    const big = Buffer.alloc(100_000);
    const io = {
      send: async (out: OutRecord[]) => {
        sends.push(out.reduce((a, r) => a + (r.value?.length ?? 0), 0));
      },
      commit: async (o: TopicPartitionOffset[]) => {
        commits.push(o);
      },
    };
    const batches = [batch(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], acks), batch(1, [0], acks)];
    const sizes = await firstValueFrom(
      of(...batches).pipe(
        processBatches((records$) => records$.pipe(map((record) => ({ record, out: [{ topic: 'o', key: null, value: big }] }))), io),
        toArray(),
      ),
    );
    assert.deepEqual(sizes, [10, 1]);
    assert.deepEqual(acks, ['0:9', '1:0']);
    assert.equal(
      sends.reduce((a, b) => a + b, 0),
      11 * 100_000,
      'every output is sent once',
    );
    assert.ok(sends.length >= 3, 'a 1 MB batch goes out in several produce calls');
    for (const s of sends) assert.ok(s <= MAX_SEND_BYTES, `a send of ${s} bytes`);
    await new Promise((r) => setImmediate(r));
    const last = new Map(commits.flat().map((o) => [o.partition, o.offset]));
    assert.deepEqual([...last.entries()].sort(), [
      [0, '10'],
      [1, '1'],
    ]);
  });

  it('does not ack a batch whose send failed', async () => {
    const acks: string[] = [];
    const io = {
      send: async () => {
        throw new Error('broker down');
      },
      commit: async () => {},
    };
    await assert.rejects(
      firstValueFrom(
        of(batch(0, [0], acks)).pipe(
          processBatches(
            (records$) => records$.pipe(map((record) => ({ record, out: [{ topic: 'o', key: null, value: Buffer.alloc(1) }] }))),
            io,
          ),
        ),
      ),
      /broker down/,
    );
    assert.deepEqual(acks, []);
  });
});
