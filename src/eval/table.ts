/** Plain-text tables for the terminal and the README. */
import type { DecayRow, PairedRow } from './paired.ts';
import type { MethodSummary } from './summary.ts';

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(2) : '–');

function render(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    '| ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
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
    const body = rows.map((s) => [
      s.name,
      `${pct(s.accuracy)} ± ${pct(s.accuracyStd)}`,
      String(s.rmCallsPerPair),
      ...categories.map((c) => pct(s.perCategory[c]!.accuracy)),
    ]);
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

const pp = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)}`;

/** "+0.52 [−0.10, +1.14] 4/5": mean paired difference in points, its 95 % interval, wins out of N. */
export function intervalCell(i: { mean: number; lo: number; hi: number; wins: number; n: number }): string {
  return `${pp(i.mean)} [${pp(i.lo)}, ${pp(i.hi)}] ${i.wins}/${i.n}`;
}

/** A row per method, a column per (scenario, horizon): its paired difference against `reference`. */
export function pairedTable(rows: readonly (PairedRow & { bName: string })[], reference: string): string {
  const mine = rows.filter((r) => r.b === reference);
  if (mine.length === 0) return '';
  const cols = [...new Set(mine.map((r) => `${r.scenario} ${r.horizon}`))];
  const methods = [...new Set(mine.map((r) => r.a))];
  const cell = (m: string, col: string) => {
    const r = mine.find((x) => x.a === m && `${x.scenario} ${x.horizon}` === col);
    return r ? intervalCell(r) : '';
  };
  const body = methods.map((m) => [m, ...cols.map((c) => cell(m, c))]);
  return render([[`method − ${reference}`, ...cols], ...body]);
}

/** A row per method, a column per scenario: accuracy over the late batches minus the early ones. */
export function decayTable(rows: readonly DecayRow[]): string {
  if (rows.length === 0) return '';
  const cols = [...new Set(rows.map((r) => r.scenario))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const cell = (m: string, c: string) => {
    const r = rows.find((x) => x.method === m && x.scenario === c);
    return r ? intervalCell(r) : '';
  };
  const r0 = rows[0]!;
  return render([
    [`method: batches ${r0.early + 1}–${r0.batches} − 1–${r0.early}`, ...cols],
    ...methods.map((m) => [m, ...cols.map((c) => cell(m, c))]),
  ]);
}
