/**
 * The HTML report of `eval`: the tables plus inline SVG plots (no plotting
 * dependency, no network: the file opens anywhere). Plots: routed-label
 * accuracy over batches per method (rolling mean over `window` batches, mean
 * over seeds) and bayesian-router's selection share per RM over batches.
 */
import type { EvalResult } from './run.ts';
import { batchShare } from './stats.ts';
import type { MethodSummary } from './summary.ts';
import type { DecayRow, PairedRow } from './paired.ts';
import { accuracyTables, decayTable, pairedTable, selectionTables } from './table.ts';

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Series {
  name: string;
  values: number[];
}

function linePlot(title: string, series: Series[], yLabel: string): string {
  const W = 760,
    H = 320,
    L = 56,
    R = 230,
    T = 28,
    B = 36;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  let lo = Math.min(...all),
    hi = Math.max(...all);
  if (hi - lo < 1e-9) {
    lo -= 0.01;
    hi += 0.01;
  }
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number) => L + ((W - L - R) * i) / Math.max(1, n - 1);
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const ticks = Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const lines = series
    .map((s, i) => {
      const pts = s.values.map((v, j) => `${x(j).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const c = COLORS[i % COLORS.length];
      return (
        `<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${pts}"/>` +
        `<rect x="${W - R + 12}" y="${T + i * 18 - 9}" width="12" height="3" fill="${c}"/>` +
        `<text x="${W - R + 30}" y="${T + i * 18 - 4}" font-size="11">${esc(s.name)}</text>`
      );
    })
    .join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * (n - 1)));
  const xAxis = xTicks.map((i) => `<text x="${x(i)}" y="${H - B + 14}" font-size="10" text-anchor="middle">${i + 1}</text>`).join('');
  const grid = ticks
    .map(
      (v) =>
        `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v.toFixed(3)}</text>`,
    )
    .join('');
  return (
    `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">` +
    `<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${grid}` +
    `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>` +
    `${xAxis}<text x="${(L + W - R) / 2}" y="${H - 4}" font-size="11" text-anchor="middle">batch</text>` +
    `<text x="14" y="${(T + H - B) / 2}" font-size="11" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">${esc(yLabel)}</text>` +
    `${lines}</svg></figure>`
  );
}

function rolling(values: readonly number[], window: number): number[] {
  return values.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    const slice = values.slice(from, i + 1);
    return slice.reduce((a, b) => a + b, 0) / slice.length;
  });
}

export function htmlReport(
  r: EvalResult,
  summaries: readonly MethodSummary[],
  settingsText: string,
  window = 10,
  stats?: { paired: readonly (PairedRow & { bName: string })[]; decay: readonly DecayRow[] },
): string {
  const figures: string[] = [];
  for (const scenario of Object.keys(r.configs)) {
    const runs = r.runs.filter((x) => x.scenario === scenario);
    const T = r.configs[scenario]!.batches;
    const acc: Series[] = runs[0]!.traces.map((tr, i) => {
      const perBatch = Array.from(
        { length: T },
        (_, t) => runs.reduce((a, run) => a + run.traces[i]!.correct[t]! / run.traces[i]!.pairs[t]!, 0) / runs.length,
      );
      return { name: tr.name, values: rolling(perBatch, window) };
    });
    figures.push(linePlot(`${scenario}: routed-label accuracy (rolling ${window} batches, mean of ${runs.length} seeds)`, acc, 'accuracy'));
    const br = runs[0]!.traces.findIndex((tr) => tr.name === 'bayesian-router');
    if (br >= 0) {
      const shares: Series[] = r.models.map((m, k) => ({
        name: m,
        values: rolling(
          Array.from({ length: T }, (_, t) => runs.reduce((a, run) => a + batchShare(run.traces[br]!, t, k), 0) / runs.length),
          window,
        ),
      }));
      figures.push(linePlot(`${scenario}: bayesian-router selection share per RM`, shares, 'share of pairs'));
    }
  }
  const md = (s: string) => `<pre>${esc(s)}</pre>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>reward-router eval</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}</style></head><body>
<h1>reward-router eval</h1>
<p>A simulation: RM accuracies come from the profile file; embeddings, labels and losses are synthetic (see docs/simulator.md).</p>
<h2>Settings</h2>${md(settingsText)}
<h2>Plots</h2>${figures.join('\n')}
<h2>Routed-label accuracy</h2>${md(accuracyTables(summaries, r.categories))}
${stats ? `<h2>Paired differences over seeds</h2>${md([pairedTable(stats.paired, 'offline-only'), pairedTable(stats.paired, 'best-single-rm'), pairedTable(stats.paired, 'bayesian-router'), decayTable(stats.decay)].join('\n\n'))}` : ''}
<h2>Selection shares</h2>${md(selectionTables(summaries, r.categories))}
</body></html>`;
}
