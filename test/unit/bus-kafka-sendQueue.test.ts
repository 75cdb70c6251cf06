// The Kafka producer's send queue (src/bus/kafka/sendQueue.ts): sends made while a request is in
// flight go out together in the next request, in order, and each caller hears of its own records only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REQUEST_BYTES } from '../../src/bus/kafka/convert.ts';
import { SendQueue } from '../../src/bus/kafka/sendQueue.ts';
import type { OutRecord } from '../../src/bus/types.ts';

const rec = (tag: string, bytes = 10): OutRecord => ({ topic: 't', key: Buffer.from(tag), value: Buffer.alloc(bytes) });
const tags = (rs: OutRecord[]): string => rs.map((r) => r.key!.toString()).join('');

/** A fake request function whose requests complete (or fail) only when the test says so. */
function manualRequests() {
  const requests: { records: OutRecord[]; done(): void; fail(err: Error): void }[] = [];
  const request = (records: OutRecord[]) =>
    new Promise<void>((resolve, reject) => {
      requests.push({ records, done: resolve, fail: reject });
    });
  return { requests, request };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('SendQueue: batching sends while a request is in flight', () => {
  it('sends the first at once; the ones made meanwhile share the next request, in order; each resolves with its own request', async () => {
    const { requests, request } = manualRequests();
    const q = new SendQueue(request);
    const settled: string[] = [];
    const a = q.send([rec('a1'), rec('a2')]).then(() => settled.push('a'));
    await settle();
    assert.equal(requests.length, 1);
    assert.equal(tags(requests[0]!.records), 'a1a2');
    const b = q.send([rec('b')]).then(() => settled.push('b'));
    const c = q.send([rec('c1'), rec('c2')]).then(() => settled.push('c'));
    await settle();
    assert.equal(requests.length, 1, 'nothing more goes out while a request is in flight');
    requests[0]!.done();
    await a;
    await settle();
    assert.deepEqual(settled, ['a']);
    assert.equal(requests.length, 2);
    assert.equal(tags(requests[1]!.records), 'bc1c2');
    requests[1]!.done();
    await Promise.all([b, c]);
    assert.deepEqual(settled, ['a', 'b', 'c']);
    await q.send([]); // nothing to send: no request
    assert.equal(requests.length, 2);
  });

  it('a failed request rejects the sends it carried, and only those; later sends go on', async () => {
    const { requests, request } = manualRequests();
    const q = new SendQueue(request);
    const a = q.send([rec('a')]);
    await settle();
    const b = q.send([rec('b')]);
    const c = q.send([rec('c')]);
    requests[0]!.fail(new Error('broker gone'));
    await assert.rejects(a, /broker gone/);
    await settle();
    assert.equal(tags(requests[1]!.records), 'bc');
    const d = q.send([rec('d')]);
    requests[1]!.done();
    await Promise.all([b, c]);
    await settle();
    assert.equal(tags(requests[2]!.records), 'd');
    requests[2]!.fail(new Error('again'));
    await assert.rejects(d, /again/);
  });

  it('a group larger than one request is split by size and sent request after request, in order', async () => {
    const { requests, request } = manualRequests();
    const q = new SendQueue(request);
    const first = q.send([rec('x')]);
    await settle();
    // 12 records of 60,000 bytes (under the large-record cut): two requests under REQUEST_BYTES.
    const big = Array.from({ length: 12 }, (_, i) => rec(String.fromCharCode(97 + i), 60_000));
    let bigDone = false;
    const rest = q.send(big).then(() => {
      bigDone = true;
    });
    requests[0]!.done();
    await first;
    await settle();
    assert.equal(requests.length, 2);
    assert.ok(requests[1]!.records.length < big.length, 'split');
    assert.ok(requests[1]!.records.reduce((n, r) => n + r.value!.length + r.key!.length, 0) <= REQUEST_BYTES);
    requests[1]!.done();
    await settle();
    assert.equal(bigDone, false, 'not acknowledged before its last request');
    assert.equal(requests.length, 3);
    requests[2]!.done();
    await rest;
    assert.equal(tags(requests.slice(1).flatMap((r) => r.records)), 'abcdefghijkl');
  });
});
