/**
 * Per-batch counters of one method on one seed, and their aggregation over
 * seeds and horizons. Counting per batch lets one 200-batch run answer every
 * shorter horizon exactly (the loop is causal: the first 30 batches of a
 * 200-batch run are a 30-batch run).
 */

export interface MethodTrace {
  name: string;
  rmCallsPerPair: number;
  /** [t] correct labels and pairs. */
  correct: number[];
  pairs: number[];
  /** [t][c] per category. */
  correctByCat: number[][];
  pairsByCat: number[][];
  /** [t][k][c] pairs routed to arm k in category c (routers only). */
  selected: number[][][] | null;
}

export function newTrace(name: string, rmCallsPerPair: number, routes: boolean): MethodTrace {
  return { name, rmCallsPerPair, correct: [], pairs: [], correctByCat: [], pairsByCat: [], selected: routes ? [] : null };
}

export interface Summary {
  mean: number;
  std: number;
}

/** Mean and sample standard deviation (n − 1); std 0 for a single value. */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

const sum = (a: readonly number[], h: number) => a.slice(0, h).reduce((x, y) => x + y, 0);

export function accuracyAt(tr: MethodTrace, horizon: number): number {
  return sum(tr.correct, horizon) / sum(tr.pairs, horizon);
}

export function categoryAccuracyAt(tr: MethodTrace, horizon: number, c: number): number {
  let ok = 0,
    n = 0;
  for (let t = 0; t < horizon; t++) {
    ok += tr.correctByCat[t]![c]!;
    n += tr.pairsByCat[t]![c]!;
  }
  return n > 0 ? ok / n : NaN;
}

/** Share of category c's pairs routed to arm k over the horizon. */
export function selectionShareAt(tr: MethodTrace, horizon: number, k: number, c: number): number {
  if (!tr.selected) return NaN;
  let sel = 0,
    n = 0;
  for (let t = 0; t < horizon; t++) {
    const row = tr.selected[t]!;
    sel += row[k]![c]!;
    for (const arm of row) n += arm[c]!;
  }
  return n > 0 ? sel / n : NaN;
}

/** Share of all pairs of batch t routed to arm k. */
export function batchShare(tr: MethodTrace, t: number, k: number): number {
  if (!tr.selected) return NaN;
  const row = tr.selected[t]!;
  let total = 0;
  for (const arm of row) for (const v of arm) total += v;
  return row[k]!.reduce((a, b) => a + b, 0) / total;
}
