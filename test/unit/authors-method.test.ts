// The authors' method where this project used to depart from it: their balancing rule on hand-made
// examples with results worked out by hand, kept pairs drawn at random (seeded, order-free), and the
// BT loss averaged per example, then over the batch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { keepKeys, pickKept } from '../../src/core/keep.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { loadBackend } from '../../src/offline/backend.ts';
import { BatchBuilder } from '../../src/offline/batches.ts';
import { routerLoss } from '../../src/offline/loss.ts';
import { createRouterModel } from '../../src/offline/model.ts';
import { balancePairsAuthors, netWins, type RankingPairs } from '../../src/offline/pairs.ts';
import { keepDecisive as keepOperator } from '../../src/operators/keepDecisive.ts';
import { keepDecisive } from '../../src/sim/labels.ts';

const seq = (seed: number) => new CounterRng(seed, 'authors-test').sequence('balance');
const graph = (es: [number, number][]): RankingPairs => ({
  example: Int32Array.from(es, (_, i) => i),
  winner: Int32Array.from(es, (e) => e[0]),
  loser: Int32Array.from(es, (e) => e[1]),
});
const kept = (p: RankingPairs) => Array.from(p.example);

describe("the authors' balancing rule", () => {
  it('deletes the first edge that helps both ends even when every |net| ≤ 1 (they aim at net 0)', () => {
    // e0: 0>1, e1: 1>2, e2: 2>0, e3: 0>1. Nets +1, −1, 0. Phase 1: RM 0's first edge e0 has a loser
    // with net < 0: deleted, nets 0, 0, 0. Phase 2: no surplus. Next round: nothing to do.
    const out = balancePairsAuthors(
      graph([
        [0, 1],
        [1, 2],
        [2, 0],
        [0, 1],
      ]),
      3,
      seq(1),
    );
    assert.deepEqual(kept(out), [1, 2, 3]);
    assert.deepEqual(Array.from(netWins(out, 3)), [0, 0, 0]);
  });

  it('phase 2 moves a surplus down the chain; on this graph every edge goes', () => {
    // e0: 0>1, e1: 0>2, e2: 1>2, e3: 0>2. Nets +3, 0, −3. Phase 1: RM 0 skips e0 (loser net 0),
    // deletes e1 and e3 (nets +1, 0, −1). Phase 2: RM 0 still +1, its only edge left is e0: deleted
    // (nets 0, +1, −1). Round 2, phase 1: RM 1 deletes e2 (0, 0, 0).
    const out = balancePairsAuthors(
      graph([
        [0, 1],
        [0, 2],
        [1, 2],
        [0, 2],
      ]),
      3,
      seq(1),
    );
    assert.deepEqual(kept(out), []);
  });

  it('is seeded: the same seed keeps the same edges, and every net ends in [−1, 1]', () => {
    const rng = new CounterRng(3, 'g').sequence('edges');
    const es: [number, number][] = [];
    while (es.length < 400) {
      const w = rng.int(4),
        l = rng.int(4);
      if (w !== l && (w === 0 || rng.uniform() < 0.4)) es.push([w, l]);
    }
    const a = balancePairsAuthors(graph(es), 4, seq(7));
    assert.deepEqual(kept(a), kept(balancePairsAuthors(graph(es), 4, seq(7))));
    for (const net of netWins(a, 4)) assert.ok(Math.abs(net) <= 1, `net ${net}`);
    assert.ok(a.winner.length > 0);
  });
});

describe('kept pairs: drawn at random among the decisive ones', () => {
  const pairs = Array.from({ length: 15 }, (_, j) => ({ pairId: `b0-p0-r${j}`, gap: [j === 3 ? 0.05 : 1] }));
  const arms = new Array(15).fill(0);

  it('seeded and reproducible, never a tie, in pair order, not simply the first four', () => {
    const a = keepDecisive(pairs, arms, 0.1, 4, keepKeys(1, 'run'));
    assert.deepEqual(a, keepDecisive(pairs, arms, 0.1, 4, keepKeys(1, 'run')));
    assert.equal(a.length, 4);
    assert.ok(!a.includes(3), 'the tie (gap 0.05) is never kept');
    assert.deepEqual(
      a,
      [...a].sort((x, y) => x - y),
    );
    const picks = new Set([1, 2, 3, 4, 5, 6].map((s) => keepDecisive(pairs, arms, 0.1, 4, keepKeys(s, 'run')).join(',')));
    assert.ok(picks.size > 1, 'different seeds keep different pairs');
    assert.ok([...picks].some((p) => p !== '0,1,2,4'));
    // Without a key: the first four decisive pairs (the older rule).
    assert.deepEqual(keepDecisive(pairs, arms, 0.1, 4), [0, 1, 2, 4]);
  });

  it('does not depend on the order the pairs arrive in', () => {
    const key = keepKeys(2, 'run');
    const ids = pairs.map((p) => p.pairId).filter((_, j) => j !== 3);
    const fwd = pickKept(ids, 4, key);
    const rev = pickKept([...ids].reverse(), 4, key);
    assert.deepEqual([...rev].sort(), [...fwd].sort());
  });

  it('the labeler operator keeps the same pairs as the eval loop', async () => {
    const key = keepKeys(5, 'loop/x');
    const prompt = {
      run: 'r',
      batch: 0,
      promptId: 'b0-p0',
      promptPairs: 15,
      pairs: pairs.map((p, j) => ({ pairId: p.pairId, index: j, rm: 'A', scoreA: p.gap[0]!, scoreB: 0, usable: true })),
    };
    const [label] = await lastValueFrom(
      from([prompt]).pipe(
        keepOperator({ tieEps: 0.1, keepPerPrompt: 4, key }),
        map((l) => l.pairs.map((p) => p.pairId)),
        toArray(),
      ),
    );
    assert.deepEqual(
      label,
      keepDecisive(pairs, arms, 0.1, 4, key).map((j) => pairs[j]!.pairId),
    );
  });
});

describe('BT loss: per example, then over the batch', () => {
  it('weights a pair by 1 / (its example’s pairs × examples with pairs)', async () => {
    const { tf } = await loadBackend();
    // Two examples over 4 RMs; example 0 keeps 3 pairs, example 1 keeps 1.
    const labels = [Uint8Array.from([1, 0, 0, 0]), Uint8Array.from([1, 1, 1, 0])];
    const data = {
      ids: ['a', 'b'],
      categories: ['c', 'c'],
      embeddings: [Float64Array.from([1, 0]), Float64Array.from([0, 1])],
      labels,
      arms: ['w', 'x', 'y', 'z'],
      width: 2,
    };
    const pairs = {
      example: Int32Array.from([0, 0, 0, 1, 1, 1]),
      winner: Int32Array.from([0, 0, 0, 0, 1, 2]),
      loser: Int32Array.from([1, 2, 3, 3, 3, 3]),
    };
    // Keep 3 pairs of example 0 and 1 of example 1.
    const sub = { example: pairs.example.slice(0, 4), winner: pairs.winner.slice(0, 4), loser: pairs.loser.slice(0, 4) };
    const batch = new BatchBuilder(data, sub).build([0, 1]);
    assert.deepEqual(Array.from(batch.exampleWeight), [1 / 6, 1 / 6, 1 / 6, 1 / 2].map(Math.fround));
    const model = createRouterModel(
      tf,
      { inputDim: 2, d: 2, numArms: 4, projection: false, lnEps: 1e-5 },
      new CounterRng(1, 't').sequence('init'),
    );
    const S = tf.tidy(() =>
      model
        .scores(
          tf.tensor2d([
            [1, 0],
            [0, 1],
          ]),
        )
        .arraySync(),
    );
    const sp = (z: number) => Math.log1p(Math.exp(z));
    const l = [sp(S[0]![1]! - S[0]![0]!), sp(S[0]![2]! - S[0]![0]!), sp(S[0]![3]! - S[0]![0]!), sp(S[1]![3]! - S[1]![0]!)];
    const perExample = ((l[0]! + l[1]! + l[2]!) / 3 + l[3]!) / 2;
    const perPair = (l[0]! + l[1]! + l[2]! + l[3]!) / 4;
    const w = { bt: 1, cls: 0, reg: 0 };
    const got = (avg: 'example' | 'pair') => tf.tidy(() => routerLoss(tf, model, batch, w, avg).dataSync()[0]!);
    assert.ok(Math.abs(got('example') - perExample) < 1e-5, `${got('example')} vs ${perExample}`);
    assert.ok(Math.abs(got('pair') - perPair) < 1e-5, `${got('pair')} vs ${perPair}`);
    assert.ok(Math.abs(perExample - perPair) > 1e-3, 'the example is one where the two differ');
    model.dispose();
  });
});
