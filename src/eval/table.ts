/** Plain-text tables for the terminal and the README. */
import type { MethodSummary } from './summary.ts';

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(2) : '–');

function render(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

/** One table per (scenario, horizon): accuracy ± std, calls per pair, per-category accuracy. */
export function accuracyTables(summaries: readonly MethodSummary[], categories: readonly string[]): string {
  const groups = new Map<string, MethodSummary[]>();
  for (const s of summaries) {
    const key = `${s.scenario} · first ${s.horizon} batches`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const parts: string[] = [];
  for (const [title, rows] of groups) {
    const header = ['method', 'accuracy % (mean ± std)', 'RM calls/pair', ...categories];
    const body = rows.map((s) => [s.name, `${pct(s.accuracy)} ± ${pct(s.accuracyStd)}`, String(s.rmCallsPerPair), ...categories.map((c) => pct(s.perCategory[c]!.accuracy))]);
    parts.push(`### ${title}\n\n${render([header, ...body])}`);
  }
  return parts.join('\n\n');
}

/** Selection share per RM per category of one method (default: bayesian-router at each scenario's longest horizon). */
export function selectionTables(summaries: readonly MethodSummary[], categories: readonly string[], method = 'bayesian-router'): string {
  const parts: string[] = [];
  const scenarios = [...new Set(summaries.map((s) => s.scenario))];
  for (const scenario of scenarios) {
    const mine = summaries.filter((s) => s.scenario === scenario && s.name === method && s.selectionShare);
    const s = mine[mine.length - 1];
    if (!s) continue;
    const header = ['RM', ...categories];
    const body = Object.entries(s.selectionShare!).map(([rm, byCat]) => [rm, ...categories.map((c) => pct(byCat[c]!))]);
    parts.push(`### ${method} selection share % · ${scenario} · ${s.horizon} batches\n\n${render([header, ...body])}`);
  }
  return parts.join('\n\n');
}

/** One wide table: a row per method, a column per (scenario, horizon), accuracy mean ± std in %. */
export function compactTable(summaries: readonly MethodSummary[]): string {
  const cols = [...new Set(summaries.map((s) => `${s.scenario} ${s.horizon}`))];
  const methods = [...new Set(summaries.map((s) => s.name))];
  const cell = (m: string, col: string) => {
    const s = summaries.find((x) => x.name === m && `${x.scenario} ${x.horizon}` === col);
    return s ? `${pct(s.accuracy)} ± ${pct(s.accuracyStd)}` : '';
  };
  const calls = (m: string) => String(summaries.find((x) => x.name === m)!.rmCallsPerPair);
  return render([['method', 'RM calls/pair', ...cols], ...methods.map((m) => [m, calls(m), ...cols.map((c) => cell(m, c))])]);
}
