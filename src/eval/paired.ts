/**
 * Paired comparisons over seeds. Every method of a seed faces the same stream (common random
 * numbers), so the per-seed difference of two methods' accuracies removes the seed's own luck; the
 * 95 % interval is the Student-t interval of the mean difference over seeds, and `wins` counts the
 * seeds where the first method was strictly ahead. A verdict is `a` or `b` when the interval
 * excludes 0, else `tie`.
 */
import type { EvalResult } from './run.ts';
import { accuracyAt, type MethodTrace } from './stats.ts';

/** Two-sided 95 % Student-t quantiles, df = 1..30 (beyond: 1.96). */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function t95(df: number): number {
  return df >= 1 && df <= 30 ? T95[df - 1]! : 1.96;
}

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  /** Seeds with a positive difference, out of n. */
  wins: number;
  n: number;
}

export type PairedVerdict = 'a' | 'b' | 'tie';

/** Mean of the paired differences with its 95 % t interval (a zero-width interval for one seed). */
export function pairedInterval(diffs: readonly number[]): Interval {
  const n = diffs.length;
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (t95(n - 1) * sd) / Math.sqrt(n) : 0;
  return { mean, lo: mean - half, hi: mean + half, wins: diffs.filter((d) => d > 0).length, n };
}

export function verdict(i: Interval): PairedVerdict {
  return i.lo > 0 ? 'a' : i.hi < 0 ? 'b' : 'tie';
}

export interface PairedRow extends Interval {
  scenario: string;
  horizon: number;
  /** Difference = accuracy(a) − accuracy(b). */
  a: string;
  b: string;
  verdict: PairedVerdict;
}

/** Accuracy over batches [from, to) of one trace. */
export function accuracyBetween(tr: MethodTrace, from: number, to: number): number {
  let ok = 0,
    n = 0;
  for (let t = from; t < to; t++) {
    ok += tr.correct[t]!;
    n += tr.pairs[t]!;
  }
  return ok / n;
}

/** The fixed RM with the best mean accuracy over the horizon (the "best single RM" of the cell). */
export function bestFixed(r: EvalResult, scenario: string, horizon: number): string | null {
  const runs = r.runs.filter((x) => x.scenario === scenario);
  let best: string | null = null,
    bestAcc = -1;
  for (const tr of runs[0]?.traces ?? []) {
    if (!tr.name.startsWith('fixed:')) continue;
    const acc =
      runs.reduce(
        (a, run) =>
          a +
          accuracyAt(
            run.traces.find((x) => x.name === tr.name)!,
            horizon,
          ),
        0,
      ) / runs.length;
    if (acc > bestAcc) {
      bestAcc = acc;
      best = tr.name;
    }
  }
  return best;
}

/**
 * Every method against each reference (`offline-only`, `bayesian-router`, and the cell's best
 * single RM, named `best-single-rm` in `b` with the RM in `bName`), per scenario and horizon.
 */
export function pairedComparisons(
  r: EvalResult,
  horizons: readonly number[],
  references: readonly string[] = ['offline-only', 'bayesian-router', 'best-single-rm'],
): (PairedRow & { bName: string })[] {
  const out: (PairedRow & { bName: string })[] = [];
  for (const scenario of Object.keys(r.configs)) {
    const runs = r.runs.filter((x) => x.scenario === scenario);
    const batches = r.configs[scenario]!.batches;
    for (const h of horizons.filter((x) => x <= batches)) {
      for (const ref of references) {
        const bName = ref === 'best-single-rm' ? bestFixed(r, scenario, h) : ref;
        if (!bName || !runs[0]!.traces.some((tr) => tr.name === bName)) continue;
        for (const tr of runs[0]!.traces) {
          if (tr.name === bName) continue;
          const diffs = runs.map(
            (run) =>
              accuracyAt(
                run.traces.find((x) => x.name === tr.name)!,
                h,
              ) -
              accuracyAt(
                run.traces.find((x) => x.name === bName)!,
                h,
              ),
          );
          const i = pairedInterval(diffs);
          out.push({ scenario, horizon: h, a: tr.name, b: ref, bName, ...i, verdict: verdict(i) });
        }
      }
    }
  }
  return out;
}

export interface DecayRow extends Interval {
  scenario: string;
  method: string;
  /** Late window [early, batches) minus early window [0, early). */
  early: number;
  batches: number;
  verdict: PairedVerdict;
}

/** Per method: accuracy over batches early+1..T minus over 1..early, paired within each seed. */
export function decay(r: EvalResult, early: number): DecayRow[] {
  const out: DecayRow[] = [];
  for (const scenario of Object.keys(r.configs)) {
    const runs = r.runs.filter((x) => x.scenario === scenario);
    const T = r.configs[scenario]!.batches;
    if (early >= T) continue;
    runs[0]!.traces.forEach((tr, i) => {
      const diffs = runs.map((run) => accuracyBetween(run.traces[i]!, early, T) - accuracyBetween(run.traces[i]!, 0, early));
      const iv = pairedInterval(diffs);
      out.push({ scenario, method: tr.name, early, batches: T, ...iv, verdict: verdict(iv) });
    });
  }
  return out;
}
