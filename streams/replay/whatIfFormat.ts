/** The what-if's output: the side-by-side table, and the JSON for machines. No I/O. */
import type { WhatIfResult } from './whatIfCompare.ts';

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : '—');

/** The side-by-side table. */
export function formatWhatIf(r: WhatIfResult): string {
  const label =
    Object.entries(r.whatIf)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '(no change)';
  const w = Math.max(24, ...r.arms.map((a) => a.length + 8));
  const row = (name: string, a: string, b: string, extra = '') => `${name.padEnd(w)}  ${a.padStart(15)}  ${b.padStart(15)}${extra}`;
  return [
    `what-if ${label} over ${r.batches} batches`,
    row('', 'recorded', 'what-if'),
    row('pairs routed', String(r.recorded.pairs), String(r.replayed.pairs)),
    row('routed-label accuracy', pct(r.recorded.accuracy), pct(r.replayed.accuracy)),
    ...r.arms.map((rm, k) => row(`share ${rm}`, pct(r.recorded.shares[k]!), pct(r.replayed.shares[k]!))),
    row('rewards folded in', String(r.recorded.rewards.n), String(r.replayed.rewards.n)),
    row('reward mean', f(r.recorded.rewards.mean), f(r.replayed.rewards.mean)),
    ...(['p10', 'p50', 'p90'] as const).map((q) => row(`reward ${q}`, f(r.recorded.rewards[q]), f(r.replayed.rewards[q]))),
    'final posterior means, Euclidean distance recorded ↔ what-if:',
    ...r.arms.map((rm, k) => row(`  ${rm}`, '', f(r.posteriorDistance[k]!))),
    ...shadowLines(r.shadow, row),
  ].join('\n');
}

/** The result as JSON for machines (`--json`): everything but the final snapshots' bytes. */
export function whatIfJson(r: WhatIfResult): string {
  return JSON.stringify(
    { ...r, recorded: { ...r.recorded, snapshots: undefined }, replayed: { ...r.replayed, snapshots: undefined } },
    null,
    2,
  );
}

const share = (n: number | null, of: number): string => (n === null || of === 0 ? '—' : `${pct(n / of)} (${n})`);

/** The shadow-pair rows: picks' agreement with the pool's consensus, the recorded label and gold. */
function shadowLines(sh: WhatIfResult['shadow'], row: (name: string, a: string, b: string, extra?: string) => string): string[] {
  if (sh.pairs === 0)
    return ['shadow pairs: none (record the run with shadow scoring, `--shadow-fraction f`, to compare picks on pairs every RM scored)'];
  return [
    `shadow pairs (scored by every RM): ${sh.pairs}; verdicts A/B beyond tieEps ${sh.tieEps}; consensus = majority of the RMs' verdicts (a tie of votes: none)`,
    `  with a consensus ${sh.consensus} (none ${sh.noConsensus}), with a recorded label ${sh.labelled}, with gold ${sh.gold}; same pick in both ${sh.samePick}; consensus = gold ${share(sh.consensusGold, sh.consensus)}`,
    row('picked RM agrees with', 'recorded', 'what-if'),
    row(`  consensus (of ${sh.consensus})`, share(sh.recorded.consensus, sh.consensus), share(sh.whatIf.consensus, sh.consensus)),
    row(`  recorded label (of ${sh.labelled})`, share(sh.recorded.label, sh.labelled), share(sh.whatIf.label, sh.labelled)),
    row(`  gold (of ${sh.gold})`, share(sh.recorded.gold, sh.gold), share(sh.whatIf.gold, sh.gold)),
  ];
}
