/**
 * Synthetic offline data for tests and benchmarks: pair embeddings drawn around per-category
 * prototypes, and RM labels drawn from per-category correctness probabilities in which different RMs
 * lead different categories, the situation where routing pays (docs/algorithm.md, RewardBench 2 table).
 */

import { CounterRng } from '../core/rng.ts';
import type { OfflineDataset } from './jsonl.ts';

export interface SyntheticOptions {
  n: number;
  width: number;
  arms?: string[]; // default rm-0 … rm-3
  categories?: string[]; // default cat-0 … cat-5
  /** accuracy[c][k] = P(RM k is correct on category c); default: RM c mod K leads category c. */
  accuracy?: number[][];
  /** Std of the per-coordinate noise around the unit-norm prototype, relative to 1/√width. */
  noise?: number;
  seed?: number;
}

export function defaultAccuracy(numCategories: number, numArms: number): number[][] {
  return Array.from({ length: numCategories }, (_, c) =>
    Array.from({ length: numArms }, (_, k) => (k === c % numArms ? 0.92 : 0.55 + 0.05 * ((c + 2 * k) % 4))),
  );
}

export function generateSyntheticDataset(o: SyntheticOptions): OfflineDataset {
  const arms = o.arms ?? ['rm-0', 'rm-1', 'rm-2', 'rm-3'];
  const categories = o.categories ?? ['cat-0', 'cat-1', 'cat-2', 'cat-3', 'cat-4', 'cat-5'];
  const accuracy = o.accuracy ?? defaultAccuracy(categories.length, arms.length);
  const noise = (o.noise ?? 1) / Math.sqrt(o.width);
  const rng = new CounterRng(o.seed ?? 7, 'synthetic');
  const protoRng = rng.sequence('prototypes');
  const prototypes = categories.map(() => {
    const v = Float64Array.from({ length: o.width }, () => protoRng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
  const ex = rng.sequence('examples');
  const out: OfflineDataset = { ids: [], categories: [], embeddings: [], labels: [], arms, width: o.width };
  for (let i = 0; i < o.n; i++) {
    const c = ex.int(categories.length);
    out.ids.push(`ex-${String(i).padStart(6, '0')}`);
    out.categories.push(categories[c]!);
    out.embeddings.push(prototypes[c]!.map((x) => x + noise * ex.normal()));
    out.labels.push(Uint8Array.from(arms, (_, k) => (ex.bernoulli(accuracy[c]![k]!) ? 1 : 0)));
  }
  return out;
}

/** The dataset as JSONL text (docs/formats.md), e.g. to exercise the file reader or the CLI. */
export function toJsonl(data: OfflineDataset): string {
  return (
    data.ids
      .map((id, i) =>
        JSON.stringify({
          id,
          ...(data.categories[i] === null ? {} : { category: data.categories[i] }),
          embedding: Array.from(data.embeddings[i]!),
          labels: Object.fromEntries(data.arms.map((a, k) => [a, data.labels[i]![k]])),
        }),
      )
      .join('\n') + '\n'
  );
}
