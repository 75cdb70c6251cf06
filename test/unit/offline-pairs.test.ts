import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CounterRng } from '../../src/core/rng.ts';
import { balancePairs, buildRankingPairs, netWins } from '../../src/offline/pairs.ts';
import type { RankingPairs } from '../../src/offline/pairs.ts';

const u8 = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const edges = (p: RankingPairs): string[] => Array.from(p.winner, (w, t) => `${p.example[t]}:${w}>${p.loser[t]}`);
const seq = (seed: number) => new CounterRng(seed, 'pairs-test').sequence('balance');

function assertBalanced(p: RankingPairs, k: number): void {
  for (const [arm, net] of netWins(p, k).entries()) assert.ok(net >= -1 && net <= 1, `RM ${arm} net ${net}`);
}

/** Every kept edge is an original edge, each original used at most once, in the original order. */
function assertSubsequence(sub: RankingPairs, all: RankingPairs): void {
  const a = edges(all);
  let i = 0;
  for (const e of edges(sub)) {
    while (i < a.length && a[i] !== e) i++;
    assert.ok(i < a.length, `kept edge ${e} is not in the original order`);
    i++;
  }
}

describe('buildRankingPairs', () => {
  it('adds (winner i, loser j) for every c_i = 1, c_j = 0', () => {
    const p = buildRankingPairs([u8(1, 0, 1, 0)]);
    assert.deepEqual(edges(p), ['0:0>1', '0:0>3', '0:2>1', '0:2>3']);
  });

  it('adds nothing when all RMs agree', () => {
    assert.equal(buildRankingPairs([u8(1, 1, 1), u8(0, 0, 0)]).winner.length, 0);
  });

  it('keeps example indices, also for a subset', () => {
    const labels = [u8(1, 1), u8(0, 1), u8(1, 0)];
    assert.deepEqual(edges(buildRankingPairs(labels)), ['1:1>0', '2:0>1']);
    assert.deepEqual(edges(buildRankingPairs(labels, [2, 0])), ['2:0>1']);
  });

  it('counts K_correct · K_wrong pairs per example', () => {
    assert.equal(buildRankingPairs([u8(1, 1, 0, 0, 0)]).winner.length, 6);
  });
});

describe('balancePairs', () => {
  it('drops edges of a dominant RM down to the invariant', () => {
    // RM 0 beats RM 1 on 5 examples, RM 1 beats RM 0 on 1: nets +4 / −4.
    const labels = [...Array.from({ length: 5 }, () => u8(1, 0)), u8(0, 1)];
    const all = buildRankingPairs(labels);
    const b = balancePairs(all, 2, seq(1));
    assertBalanced(b, 2);
    // Each drop moves the nets by one step (+4 → +1 takes three): two 0>1 edges and the 1>0 edge stay.
    assert.equal(b.winner.length, 3);
    assert.deepEqual(Array.from(netWins(b, 2)), [1, -1]);
    assertSubsequence(b, all);
  });

  it('leaves an already balanced set alone', () => {
    const all = buildRankingPairs([u8(1, 0, 0), u8(0, 1, 0), u8(0, 0, 1)]);
    assert.deepEqual(edges(balancePairs(all, 3, seq(1))), edges(all));
  });

  it('follows a path when the surplus RM has no direct edge to the deficit RM', () => {
    // A>B ×3 and B>C ×3: nets A +3, B 0, C −3, and no A>C edge. Dropping A>B + B>C pairs keeps B at 0.
    const p: RankingPairs = {
      example: Int32Array.from([0, 1, 2, 3, 4, 5]),
      winner: Int32Array.from([0, 0, 0, 1, 1, 1]),
      loser: Int32Array.from([1, 1, 1, 2, 2, 2]),
    };
    const b = balancePairs(p, 3, seq(2));
    assertBalanced(b, 3);
    assert.deepEqual(Array.from(netWins(b, 3)), [1, 0, -1]);
    assert.equal(b.winner.length, 2);
    assertSubsequence(b, p);
  });

  it('also fixes a lone deficit (mirror case)', () => {
    // Nets: 0: +1, 1: +1, 2: −2 (two RMs each beat RM 2 once).
    const p: RankingPairs = { example: Int32Array.from([0, 1]), winner: Int32Array.from([0, 1]), loser: Int32Array.from([2, 2]) };
    const b = balancePairs(p, 3, seq(3));
    assertBalanced(b, 3);
    assert.equal(b.winner.length, 1);
  });

  it('holds the invariant on random skewed pools (K = 2..8, many seeds) and is seeded', () => {
    for (let seed = 0; seed < 40; seed++) {
      const rng = new CounterRng(seed, 'pairs-data').sequence('labels');
      const k = 2 + (seed % 7);
      const acc = Array.from({ length: k }, () => 0.3 + 0.65 * rng.uniform());
      const labels = Array.from({ length: 50 + rng.int(300) }, () => Uint8Array.from(acc, (a) => (rng.bernoulli(a) ? 1 : 0)));
      const all = buildRankingPairs(labels);
      const b = balancePairs(all, k, seq(seed));
      assertBalanced(b, k);
      assertSubsequence(b, all);
      assert.deepEqual(edges(balancePairs(all, k, seq(seed))), edges(b), 'same seed, same edges');
      if (seed === 5) assert.notDeepEqual(edges(balancePairs(all, k, seq(seed + 1000))), edges(b), 'another seed drops other edges');
    }
  });

  it('handles no pairs at all', () => {
    const b = balancePairs(buildRankingPairs([u8(1, 1)]), 2, seq(1));
    assert.equal(b.winner.length, 0);
  });
});
