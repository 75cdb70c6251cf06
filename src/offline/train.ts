/**
 * The offline training loop: seeded split, ranking pairs + balancing on the training split, Adam on
 * the Bradley–Terry loss (plus the optional BCE / L1 heads), then evaluation of the exported float64
 * prior, i.e. exactly what the router will compute, on the held-out split.
 */

import type { Scalar } from '@tensorflow/tfjs';
import type { LossWeights, PriorFile } from '../core/prior.ts';
import { identityOrProject } from '../core/projection.ts';
import { CounterRng } from '../core/rng.ts';
import type { RngSequence } from '../core/rng.ts';
import type { Tf } from './backend.ts';
import { BatchBuilder } from './batches.ts';
import type { OfflineDataset } from './jsonl.ts';
import { routerLoss, type BtAverage } from './loss.ts';
import { argmax } from './metrics.ts';
import { createRouterModel } from './model.ts';
import type { RouterModel } from './model.ts';
import { balancePairs, balancePairsAuthors, buildRankingPairs } from './pairs.ts';

export type BalanceRule = 'authors' | 'paths';

export interface TrainSettings {
  d: number;
  projection: boolean;
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  holdout: number;
  lossWeights: LossWeights;
  /** Apply the balancing step (docs/algorithm.md [C]) to the ranking pairs. */
  balance: boolean;
  /** Which balancing rule: the authors' published one (default) or this project's earlier one. */
  balanceRule?: BalanceRule;
  /** How the BT loss averages (default 'example', the authors'). */
  btAverage?: BtAverage;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

export interface TrainOutcome {
  model: RouterModel;
  trainRows: number[];
  evalRows: number[];
  pairs: number;
  balancedPairs: number;
  epochLosses: number[];
}

/** Fisher–Yates with the project RNG. */
export function shuffleInPlace<T>(a: T[], rng: RngSequence): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Seeded split: the first round(holdout·N) of a permutation are held out; both lists sorted. */
export function splitRows(n: number, holdout: number, rng: RngSequence): { trainRows: number[]; evalRows: number[] } {
  const perm = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    rng,
  );
  const nEval = Math.round(holdout * n);
  return {
    evalRows: perm.slice(0, nEval).sort((a, b) => a - b),
    trainRows: perm.slice(nEval).sort((a, b) => a - b),
  };
}

export function trainModel(tf: Tf, data: OfflineDataset, s: TrainSettings): TrainOutcome {
  const n = data.ids.length;
  const k = data.arms.length;
  const rng = new CounterRng(s.seed, 'offline');
  const { trainRows, evalRows } = splitRows(n, s.holdout, rng.sequence('split'));
  const raw = buildRankingPairs(data.labels, trainRows);
  const rule = s.balanceRule ?? 'authors';
  const balanced = !s.balance
    ? raw
    : rule === 'authors'
      ? balancePairsAuthors(raw, k, rng.sequence('balance'))
      : balancePairs(raw, k, rng.sequence('balance'));

  const model = createRouterModel(
    tf,
    { inputDim: data.width, d: s.d, numArms: k, projection: s.projection, lnEps: 1e-5 },
    rng.sequence('init'),
  );
  const batches = new BatchBuilder(data, balanced);
  // With only pair losses, examples without a kept pair contribute nothing: leave them out of batches.
  const batchRows = s.lossWeights.cls > 0 ? [...trainRows] : trainRows.filter((e) => batches.pairsOf(e) > 0);
  const optimizer = tf.train.adam(s.lr);
  const shuffleRng = rng.sequence('shuffle');
  const epochLosses: number[] = [];
  let finished = false;

  try {
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      const order = shuffleInPlace([...batchRows], shuffleRng);
      let lossSum = 0;
      let steps = 0;
      for (let from = 0; from < order.length; from += s.batchSize) {
        const batch = batches.build(order.slice(from, from + s.batchSize));
        if (batch.numPairs === 0 && s.lossWeights.cls === 0) continue;
        const loss = tf.tidy((): Scalar => {
          const cost = optimizer.minimize(() => routerLoss(tf, model, batch, s.lossWeights, s.btAverage), true, model.trainable);
          return cost ?? tf.scalar(Number.NaN);
        });
        lossSum += loss.dataSync()[0]!;
        loss.dispose();
        steps++;
      }
      const mean = steps === 0 ? 0 : lossSum / steps;
      epochLosses.push(mean);
      s.onEpoch?.(epoch + 1, mean);
    }
    finished = true;
  } finally {
    optimizer.dispose();
    // On success the caller owns the model (and exports, then disposes it).
    if (!finished) model.dispose();
  }
  return { model, trainRows, evalRows, pairs: raw.winner.length, balancedPairs: balanced.winner.length, epochLosses };
}

/** Router picks (argmax of float64 scores through the exported prior) for the given rows. */
export function routePicks(
  prior: Pick<PriorFile, 'd' | 'projection' | 'embeddings'>,
  data: OfflineDataset,
  rows: readonly number[],
): Int32Array {
  const picks = new Int32Array(data.ids.length).fill(-1);
  const s = new Float64Array(prior.embeddings.length);
  for (const e of rows) {
    const x = identityOrProject(prior, data.embeddings[e]!);
    prior.embeddings.forEach((emb, k) => {
      let dot = 0;
      for (let i = 0; i < x.length; i++) dot += x[i]! * emb[i]!;
      s[k] = dot;
    });
    picks[e] = argmax(s);
  }
  return picks;
}
