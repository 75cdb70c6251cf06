import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CounterRng, hash64, philox4x32, Stream } from '../../src/core/rng.ts';

const hex = (w: Uint32Array) => [...w].map((x) => x.toString(16).padStart(8, '0'));

describe('philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const o = new Uint32Array(4);
    assert.deepEqual(hex(philox4x32(0, 0, 0, 0, 0, 0, o)), ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const f = 0xffffffff;
    assert.deepEqual(hex(philox4x32(f, f, f, f, f, f, o)), ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    assert.deepEqual(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, o)), [
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });
});

describe('CounterRng', () => {
  it('gives the draw for (seed, run, pair, arm) whatever else was drawn before', () => {
    const a = new CounterRng(42, 'run-a');
    const first = a.pairNormal('p-17', 3);
    for (let i = 0; i < 100; i++) a.pairNormal(`p-${i}`, i % 5);
    assert.equal(a.pairNormal('p-17', 3), first);
    assert.equal(new CounterRng(42, 'run-a').pairNormal('p-17', 3), first);
  });

  it('separates seeds, runs, pairs, arms and streams', () => {
    const base = new CounterRng(1, 'r').pairNormal('p', 0);
    assert.notEqual(new CounterRng(2, 'r').pairNormal('p', 0), base);
    assert.notEqual(new CounterRng(1, 's').pairNormal('p', 0), base);
    assert.notEqual(new CounterRng(1, 'r').pairNormal('q', 0), base);
    assert.notEqual(new CounterRng(1, 'r').pairNormal('p', 1), base);
    assert.notEqual(new CounterRng(1, 'r').pairNormal('p', 0, Stream.tieBreak), base);
  });

  it('draws standard normals and uniforms with the right moments', () => {
    const s = new CounterRng(7, 'moments').sequence('x');
    const N = 100_000;
    let m = 0,
      v = 0,
      u = 0;
    for (let i = 0; i < N; i++) {
      const z = s.normal();
      m += z;
      v += z * z;
    }
    for (let i = 0; i < N; i++) u += s.uniform();
    assert.ok(Math.abs(m / N) < 0.02, `mean ${m / N}`);
    assert.ok(Math.abs(v / N - 1) < 0.02, `var ${v / N}`);
    assert.ok(Math.abs(u / N - 0.5) < 0.01, `uniform mean ${u / N}`);
  });

  it('rejects a seed that is not a non-negative safe integer', () => {
    assert.throws(() => new CounterRng(-1), RangeError);
    assert.throws(() => new CounterRng(1.5), RangeError);
  });

  it('hashes strings to two 32-bit words, stably', () => {
    const [a, b] = hash64('b12-p3-r0r4');
    assert.deepEqual(hash64('b12-p3-r0r4'), [a, b]);
    assert.notDeepEqual(hash64('b12-p3-r0r5'), [a, b]);
  });
});
