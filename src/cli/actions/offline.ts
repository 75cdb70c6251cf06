/**
 * `reward-router offline train`'s work: learn the router's prior (RM embeddings, optional projection)
 * from a JSONL file of labelled pair embeddings and write the prior file the router loads. Loaded
 * by the action only (its flags are in ../commands/offline.ts).
 */
import { requireConfig } from '../../core/errors.ts';
import type { LossWeights } from '../../core/prior.ts';
import { defaultEncoderDir, loadPairEncoder } from '../../encoder/index.ts';
import { trainOfflineRouter, writePrior } from '../../offline/index.ts';
import { embedTextExamples, isTextJsonl, readTextJsonl } from '../../offline/textJsonl.ts';
import type { BackendPreference, OfflineReport } from '../../offline/index.ts';

export interface OfflineCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface RawOptions {
  data: string;
  out: string;
  d?: string;
  epochs?: string;
  lr?: string;
  batchSize?: string;
  seed?: string;
  holdout?: string;
  lossWeights?: string;
  projection?: boolean;
  balance?: boolean;
  backend?: string;
  json?: boolean;
  verbose?: boolean;
  encoder?: string;
}

function int(text: string | undefined, field: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  requireConfig(
    text.trim() !== '' && Number.isSafeInteger(v) && v >= min,
    field,
    `must be an integer >= ${min}, got ${JSON.stringify(text)}`,
  );
  return v;
}

function real(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  requireConfig(text.trim() !== '' && Number.isFinite(v), field, `must be a number, got ${JSON.stringify(text)}`);
  return v;
}

/** "bt,cls,reg", e.g. "1,0.9,0.6" (the earlier multi-task runs) or the default "1,0,0". */
export function parseLossWeights(text: string): LossWeights {
  const parts = text.split(',').map((s) => s.trim());
  requireConfig(parts.length === 3, 'loss-weights', `expected three numbers bt,cls,reg, got ${JSON.stringify(text)}`);
  const [bt, cls, reg] = parts.map((p, i) => {
    const v = Number(p);
    requireConfig(p !== '' && Number.isFinite(v) && v >= 0, `loss-weights[${i}]`, `must be a number >= 0, got ${JSON.stringify(p)}`);
    return v;
  }) as [number, number, number];
  return { bt, cls, reg };
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '   n/a' : x.toFixed(4));

/** The human-readable summary: router accuracy beside each fixed RM on the same examples. */
export function formatReport(report: OfflineReport, out: string): string {
  const m = report.metrics;
  const arms = Object.keys(m.fixed);
  const width = Math.max(24, ...arms.map((a) => a.length + 2));
  const where = m.split === 'holdout' ? 'held-out' : 'training (no holdout)';
  const lines = [
    `trained on ${report.trainExamples} examples (${report.evalExamples} held out), backend ${report.backend}, ` +
      `${(report.trainMs / 1000).toFixed(1)} s; pairs ${report.pairs} -> ${report.balancedPairs} after balancing; ` +
      `input ${report.inputDim} -> d ${report.d}${report.projection ? ' (projection)' : ''}`,
    `accuracy on ${m.n_eval ?? 0} ${where} examples with at least one correct RM:`,
    `  ${'router (argmax s_k)'.padEnd(width)} ${fmt(m.router_accuracy)}`,
    ...arms.map((a) => `  ${a.padEnd(width)} ${fmt(m.fixed[a])}`),
  ];
  if (m.per_category !== undefined) {
    lines.push('per category (router / best fixed RM):');
    for (const [cat, b] of Object.entries(m.per_category)) {
      let best = '';
      let bestAcc = -1;
      for (const a of arms) if ((b.fixed[a] ?? -1) > bestAcc) [best, bestAcc] = [a, b.fixed[a] ?? -1];
      lines.push(`  ${cat.padEnd(width)} ${fmt(b.router_accuracy)} / ${fmt(bestAcc < 0 ? null : bestAcc)} ${best}  (n = ${b.n_eval ?? 0})`);
    }
  }
  lines.push(`wrote ${out}`);
  return lines.join('\n') + '\n';
}

export async function offlineTrain(raw: RawOptions, io: OfflineCommandIo): Promise<void> {
  const backend = raw.backend ?? 'auto';
  requireConfig(['auto', 'wasm', 'cpu'].includes(backend), 'backend', `must be auto, wasm or cpu, got ${JSON.stringify(backend)}`);
  // Text data is embedded here with the router's encoder; the prior then records that encoder.
  const text = raw.encoder !== undefined || (await isTextJsonl(raw.data));
  const encoder = text ? await loadPairEncoder(raw.encoder ?? defaultEncoderDir()) : null;
  let data: Parameters<typeof trainOfflineRouter>[0]['data'] = raw.data;
  if (encoder !== null) {
    try {
      const examples = await readTextJsonl(raw.data);
      if (raw.verbose === true) io.stderr.write(`embedding ${examples.length} pairs with ${encoder.info.name}\n`);
      data = await embedTextExamples(examples, encoder);
    } finally {
      await encoder.close();
    }
  }
  const { prior, report } = await trainOfflineRouter({
    data,
    d: int(raw.d, 'd', 1),
    epochs: int(raw.epochs, 'epochs', 0),
    lr: real(raw.lr, 'lr'),
    batchSize: int(raw.batchSize, 'batch-size', 1),
    seed: int(raw.seed, 'seed', 0),
    holdout: real(raw.holdout, 'holdout'),
    lossWeights: raw.lossWeights === undefined ? undefined : parseLossWeights(raw.lossWeights),
    projection: raw.projection === true ? true : undefined,
    balance: raw.balance === true,
    backend: backend as BackendPreference,
    onEpoch: raw.verbose === true ? (epoch, loss) => io.stderr.write(`epoch ${epoch}: loss ${loss.toFixed(5)}\n`) : undefined,
  });
  if (encoder !== null) prior.encoder = encoder.info;
  await writePrior(raw.out, prior);
  if (raw.json === true) {
    const { epochLosses, ...rest } = report;
    io.stdout.write(JSON.stringify({ out: raw.out, ...rest, finalLoss: epochLosses.at(-1) ?? null }) + '\n');
  } else {
    io.stdout.write(formatReport(report, raw.out));
  }
}
