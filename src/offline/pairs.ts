/**
 * Ranking pairs over RMs (docs/algorithm.md, "Offline stage"): per example, every ordered (i, j) with
 * c_i = 1 and c_j = 0 is an edge "i beats j". Then balancing drops edges until every RM's
 * wins − losses ∈ [−1, 1], so no RM is "best overall" in the data and the router has to learn
 * context-dependent strengths.
 */

import type { RngSequence } from '../core/rng.ts';

export interface RankingPairs {
  /** Example index of each edge. */
  example: Int32Array;
  winner: Int32Array;
  loser: Int32Array;
}

/** All edges of the given examples (all examples when `subset` is omitted), in example order. */
export function buildRankingPairs(labels: readonly Uint8Array[], subset?: ArrayLike<number>): RankingPairs {
  const ex: number[] = [];
  const w: number[] = [];
  const l: number[] = [];
  const n = subset === undefined ? labels.length : subset.length;
  for (let t = 0; t < n; t++) {
    const e = subset === undefined ? t : subset[t]!;
    const c = labels[e]!;
    for (let i = 0; i < c.length; i++) {
      if (c[i] !== 1) continue;
      for (let j = 0; j < c.length; j++) {
        if (c[j] === 1) continue;
        ex.push(e);
        w.push(i);
        l.push(j);
      }
    }
  }
  return { example: Int32Array.from(ex), winner: Int32Array.from(w), loser: Int32Array.from(l) };
}

/** wins − losses per RM. */
export function netWins(p: RankingPairs, numArms: number): Int32Array {
  const net = new Int32Array(numArms);
  for (let t = 0; t < p.winner.length; t++) {
    net[p.winner[t]!]!++;
    net[p.loser[t]!]!--;
  }
  return net;
}

/** BFS over RM nodes along kept edges (forward: winner → loser); returns parent links, −1 = unreached. */
function bfs(src: number, k: number, count: Int32Array, forward: boolean): Int32Array {
  const parent = new Int32Array(k).fill(-1);
  parent[src] = src;
  const queue = [src];
  for (let q = 0; q < queue.length; q++) {
    const a = queue[q]!;
    for (let b = 0; b < k; b++) {
      const c = forward ? count[a * k + b]! : count[b * k + a]!;
      if (c > 0 && parent[b] === -1) {
        parent[b] = a;
        queue.push(b);
      }
    }
  }
  return parent;
}

/**
 * Drops edges until every RM's net wins lies in [−1, 1]; returns the kept edges in their original
 * order. This project's earlier rule (option `balanceRule: 'paths'`; the authors' published rule is
 * `balancePairsAuthors` below):
 *
 *   while some RM has net ≥ 2 or ≤ −2:
 *     take s = the RM with the largest surplus (net ≥ 2; lowest index on ties) and, among the RMs
 *     reachable from s along kept edges, t = the one with the largest deficit; follow the shortest
 *     path s → … → t (almost always the direct edge s beats t) and drop one uniformly drawn
 *     (seeded) kept edge per hop. If no surplus ≥ 2 is left, do the mirror image from the largest
 *     deficit (≤ −2) backwards to the largest surplus.
 *
 * Dropping a path changes only its ends' nets (s −1, t +1), so interior RMs stay as they were. It
 * always exists: the RMs reachable from s have no kept edge leaving them, so their nets sum to
 * −(edges entering) ≤ 0, and since net(s) ≥ 2 one of them has net ≤ −1. Each step lowers Σ net²
 * by at least 4 (2·(net_t − net_s + 1) ≤ −4), so the loop ends. Which edge of a hop goes is drawn
 * from `rng`, so which examples lose pairs is seeded and reproducible, spread over the data rather
 * than taken from its start or end.
 */
export function balancePairs(p: RankingPairs, numArms: number, rng: RngSequence): RankingPairs {
  const k = numArms;
  const buckets: number[][] = Array.from({ length: k * k }, () => []);
  for (let t = 0; t < p.winner.length; t++) buckets[p.winner[t]! * k + p.loser[t]!]!.push(t);
  const count = new Int32Array(k * k);
  buckets.forEach((b, i) => (count[i] = b.length));
  const keep = new Uint8Array(p.winner.length).fill(1);
  const net = netWins(p, k);

  const dropOne = (a: number, b: number): void => {
    const bucket = buckets[a * k + b]!;
    const i = rng.int(bucket.length);
    keep[bucket[i]!] = 0;
    bucket[i] = bucket[bucket.length - 1]!;
    bucket.pop();
    count[a * k + b]!--;
    net[a]!--;
    net[b]!++;
  };

  for (;;) {
    let hi = 0;
    let lo = 0;
    for (let i = 1; i < k; i++) {
      if (net[i]! > net[hi]!) hi = i;
      if (net[i]! < net[lo]!) lo = i;
    }
    if (net[hi]! < 2 && net[lo]! > -2) break;
    const forward = net[hi]! >= 2;
    const src = forward ? hi : lo;
    const parent = bfs(src, k, count, forward);
    // Forward: the reachable RM with the largest deficit; backward: with the largest surplus.
    let dst = -1;
    for (let i = 0; i < k; i++) {
      if (i === src || parent[i] === -1) continue;
      if (dst === -1 || (forward ? net[i]! < net[dst]! : net[i]! > net[dst]!)) dst = i;
    }
    if (dst === -1 || (forward ? net[dst]! > -1 : net[dst]! < 1)) {
      throw new Error('balancePairs: no path to an opposite imbalance (cannot happen; see proof above)');
    }
    // Walk the path back from dst to src, dropping one edge per hop.
    for (let b = dst; b !== src; b = parent[b]!) {
      const a = parent[b]!;
      if (forward) dropOne(a, b);
      else dropOne(b, a);
    }
  }

  const idx: number[] = [];
  for (let t = 0; t < keep.length; t++) if (keep[t] === 1) idx.push(t);
  return {
    example: Int32Array.from(idx, (t) => p.example[t]!),
    winner: Int32Array.from(idx, (t) => p.winner[t]!),
    loser: Int32Array.from(idx, (t) => p.loser[t]!),
  };
}

/**
 * The authors' published balancing rule (`balance_bt_pairs_optimal` in their offline data script),
 * re-implemented from its description; returns the kept edges in their original order. Repeated
 * rounds of two phases until a round deletes nothing (or after 1,000 rounds, their safety cap):
 *
 *  1. Winners with net > 0 are queued in RM order. For each, scan its edges in edge order and delete
 *     every edge whose loser has net < 0 (one deletion helps both ends), until the winner's net is
 *     ≤ 0; a loser pushed above 0 is queued. If this phase deleted nothing and every |net| ≤ 1, stop.
 *  2. For each RM with net > 0 (taken at the start of the phase, in RM order), sort its remaining
 *     edges by their loser's net (ascending, as read when the list is built; ties in a seeded random
 *     order, `rng`) and delete as many as its surplus.
 *
 * Unlike `balancePairs` it aims at net 0 (phase 1 also runs when every |net| ≤ 1), and it deletes
 * from the winners' side only.
 */
export function balancePairsAuthors(p: RankingPairs, numArms: number, rng: RngSequence): RankingPairs {
  const k = numArms;
  const E = p.winner.length;
  const byWinner: number[][] = Array.from({ length: k }, () => []);
  for (let e = 0; e < E; e++) byWinner[p.winner[e]!]!.push(e);
  const alive = new Uint8Array(E).fill(1);
  const net = netWins(p, k);
  const drop = (e: number): void => {
    alive[e] = 0;
    net[p.winner[e]!]!--;
    net[p.loser[e]!]!++;
  };
  for (let round = 0; round < 1000; round++) {
    let changed = false;
    // Phase 1.
    const queue: number[] = [];
    for (let i = 0; i < k; i++) if (net[i]! > 0) queue.push(i);
    const next = new Int32Array(k);
    for (let q = 0; q < queue.length; q++) {
      const w = queue[q]!;
      const list = byWinner[w]!;
      while (next[w]! < list.length && net[w]! > 0) {
        const e = list[next[w]!++]!;
        if (alive[e] === 0) continue;
        const l = p.loser[e]!;
        if (net[l]! < 0) {
          drop(e);
          changed = true;
          if (net[l]! > 0) queue.push(l);
        }
      }
    }
    if (!changed) {
      let maxAbs = 0;
      for (let i = 0; i < k; i++) maxAbs = Math.max(maxAbs, Math.abs(net[i]!));
      if (maxAbs <= 1) break;
    }
    // Phase 2.
    const winners: number[] = [];
    for (let i = 0; i < k; i++) if (net[i]! > 0) winners.push(i);
    for (const w of winners) {
      if (net[w]! <= 0) continue;
      const cand = byWinner[w]!.filter((e) => alive[e] === 1).map((e) => ({ e, key: net[p.loser[e]!]!, tie: rng.uniform() }));
      cand.sort((a, b) => a.key - b.key || a.tie - b.tie);
      let need = net[w]!;
      for (const c of cand) {
        if (need <= 0) break;
        drop(c.e);
        changed = true;
        need--;
      }
    }
    if (!changed) break;
  }
  const idx: number[] = [];
  for (let e = 0; e < E; e++) if (alive[e] === 1) idx.push(e);
  return {
    example: Int32Array.from(idx, (e) => p.example[e]!),
    winner: Int32Array.from(idx, (e) => p.winner[e]!),
    loser: Int32Array.from(idx, (e) => p.loser[e]!),
  };
}
