/**
 * From per-seed traces to the figures `eval` prints and `--json` returns:
 * mean ± std over seeds, per horizon, per category, and selection shares.
 */
import type { EvalResult } from './run.ts';
import { accuracyAt, categoryAccuracyAt, selectionShareAt, summarize, type Summary } from './stats.ts';

export interface MethodSummary {
  name: string;
  scenario: string;
  horizon: number;
  accuracy: number;
  accuracyStd: number;
  rmCallsPerPair: number;
  perCategory: Record<string, { accuracy: number; accuracyStd: number }>;
  /** RM → category → share of that category's pairs routed to the RM (routers only). */
  selectionShare: Record<string, Record<string, number>> | null;
}

export function summarizeEval(r: EvalResult, horizons: readonly number[]): MethodSummary[] {
  const out: MethodSummary[] = [];
  for (const scenario of Object.keys(r.configs)) {
    const runs = r.runs.filter((x) => x.scenario === scenario);
    const batches = r.configs[scenario]!.batches;
    for (const h of horizons.filter((x) => x <= batches)) {
      runs[0]!.traces.forEach((first, i) => {
        const traces = runs.map((run) => run.traces[i]!);
        const acc: Summary = summarize(traces.map((tr) => accuracyAt(tr, h)));
        const perCategory: MethodSummary['perCategory'] = {};
        r.categories.forEach((cat, c) => {
          const s = summarize(traces.map((tr) => categoryAccuracyAt(tr, h, c)));
          perCategory[cat] = { accuracy: s.mean, accuracyStd: s.std };
        });
        let selectionShare: MethodSummary['selectionShare'] = null;
        if (first.selected) {
          selectionShare = {};
          r.models.forEach((m, k) => {
            selectionShare![m] = {};
            r.categories.forEach((cat, c) => {
              selectionShare![m]![cat] = summarize(traces.map((tr) => selectionShareAt(tr, h, k, c))).mean;
            });
          });
        }
        out.push({
          name: first.name,
          scenario,
          horizon: h,
          accuracy: acc.mean,
          accuracyStd: acc.std,
          rmCallsPerPair: first.rmCallsPerPair,
          perCategory,
          selectionShare,
        });
      });
    }
  }
  return out;
}
