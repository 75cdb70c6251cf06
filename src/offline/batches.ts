/**
 * Turns lists of example rows into the constant arrays one training step needs. Everything is built
 * in JS and uploaded per step, for two wasm-backend reasons measured here: its gather kernel is slower
 * than copying rows in JS (≈10 ms vs well under 1 ms for 256 rows of width 768), and gather's gradient
 * needs UnsortedSegmentSum, a kernel the wasm backend does not have.
 */

import type { OfflineDataset } from './jsonl.ts';
import type { RankingPairs } from './pairs.ts';

export interface Batch {
  rows: number[];
  /** Inputs [B, width], row-major. */
  inputs: Float32Array;
  /** c_k [B, K]. */
  labels: Float32Array;
  numPairs: number;
  /** [P, B]: one 1 per row, picking the pair's example row of the scores. */
  pick: Float32Array;
  /** [P, K]: +1 at the winner, −1 at the loser, so s_w − s_l = rowsum((pick·S) ⊙ sign). */
  sign: Float32Array;
  /**
   * [P]: 1 / (pairs of the pair's example × examples with pairs in the batch), so Σ weight·loss is
   * the authors' BT loss: the mean over a example's pairs, then the mean over examples.
   */
  exampleWeight: Float32Array;
}

export class BatchBuilder {
  readonly #data: OfflineDataset;
  readonly #x: Float32Array;
  readonly #k: number;
  /** Kept pairs grouped by example: those of example e are at start[e] .. start[e+1]. */
  readonly #start: Int32Array;
  readonly #winner: Int32Array;
  readonly #loser: Int32Array;

  constructor(data: OfflineDataset, pairs: RankingPairs) {
    const n = data.ids.length;
    this.#data = data;
    this.#k = data.arms.length;
    this.#x = new Float32Array(n * data.width);
    data.embeddings.forEach((v, e) => this.#x.set(v, e * data.width));
    const start = new Int32Array(n + 1);
    for (const e of pairs.example) start[e + 1]!++;
    for (let e = 0; e < n; e++) start[e + 1]! += start[e]!;
    const fill = start.slice(0, n);
    this.#winner = new Int32Array(pairs.winner.length);
    this.#loser = new Int32Array(pairs.loser.length);
    pairs.example.forEach((e, t) => {
      const at = fill[e]!++;
      this.#winner[at] = pairs.winner[t]!;
      this.#loser[at] = pairs.loser[t]!;
    });
    this.#start = start;
  }

  /** Number of kept pairs of example e. */
  pairsOf(e: number): number {
    return this.#start[e + 1]! - this.#start[e]!;
  }

  build(rows: number[]): Batch {
    const w = this.#data.width;
    const k = this.#k;
    const b = rows.length;
    const inputs = new Float32Array(b * w);
    const labels = new Float32Array(b * k);
    let numPairs = 0;
    rows.forEach((e, i) => {
      inputs.set(this.#x.subarray(e * w, (e + 1) * w), i * w);
      labels.set(this.#data.labels[e]!, i * k);
      numPairs += this.pairsOf(e);
    });
    const pick = new Float32Array(numPairs * b);
    const sign = new Float32Array(numPairs * k);
    const exampleWeight = new Float32Array(numPairs);
    const withPairs = rows.filter((e) => this.pairsOf(e) > 0).length;
    let p = 0;
    rows.forEach((e, i) => {
      for (let t = this.#start[e]!; t < this.#start[e + 1]!; t++, p++) {
        pick[p * b + i] = 1;
        sign[p * k + this.#winner[t]!] = 1;
        sign[p * k + this.#loser[t]!] = -1;
        exampleWeight[p] = 1 / (this.pairsOf(e) * withPairs);
      }
    });
    return { rows, inputs, labels, numPairs, pick, sign, exampleWeight };
  }
}
