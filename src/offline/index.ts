/**
 * Offline stage entry points: train the router's prior from a JSONL file (or an in-memory dataset)
 * and write / read prior files.
 */

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RouterError, requireConfig } from '../core/errors.ts';
import { PRIOR_FORMAT, parsePrior, serializePrior } from '../core/prior.ts';
import type { LossWeights, PriorFile, PriorMetrics } from '../core/prior.ts';
import { loadBackend } from './backend.ts';
import type { BackendPreference } from './backend.ts';
import { readJsonl } from './jsonl.ts';
import type { OfflineDataset } from './jsonl.ts';
import { evaluatePicks } from './metrics.ts';
import { routePicks, trainModel, type BalanceRule } from './train.ts';
import type { BtAverage } from './loss.ts';

export type { OfflineDataset } from './jsonl.ts';
export type { BackendPreference } from './backend.ts';

export interface OfflineTrainOptions {
  /** A JSONL path (docs/formats.md) or an already-loaded dataset. */
  data: string | OfflineDataset;
  /** Router width d (default 64). */
  d?: number;
  /** Force the projection head; default: only when the input width ≠ d. */
  projection?: boolean;
  epochs?: number; // default 30
  lr?: number; // Adam learning rate, default 0.01
  batchSize?: number; // examples per step, default 256
  seed?: number; // default 1
  holdout?: number; // held-out share in [0, 1), default 0.2; 0 evaluates on the training set
  lossWeights?: Partial<LossWeights>; // default (bt, cls, reg) = (1, 0, 0)
  /** The balancing step of the authors' code (default: offlineDefaults.balance; see docs/results.md, "Offline stage"). */
  balance?: boolean;
  /** With `balance`: the authors' published rule (default) or this project's earlier 'paths' rule. */
  balanceRule?: BalanceRule;
  /** BT loss average: 'example' (default, the authors') or 'pair'. */
  btAverage?: BtAverage;
  backend?: BackendPreference; // default 'auto'
  /** Progress callback (e.g. the CLI's --verbose). */
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

export interface OfflineReport {
  /** `tf.getBackend()` during training, and why better backends were skipped. */
  backend: string;
  backendNotes: string[];
  /** Wall-clock training time (load excluded); informational, never written to the prior. */
  trainMs: number;
  examples: number;
  trainExamples: number;
  evalExamples: number;
  pairs: number;
  balancedPairs: number;
  inputDim: number;
  d: number;
  projection: boolean;
  epochLosses: number[];
  metrics: PriorMetrics;
}

/**
 * The balancing step is off by default: measured on the simulated RewardBench 2 pool (docs/results.md,
 * "Offline stage"; `scripts/offline-ab.ts`), the authors' rule lowers the held-out router_accuracy on
 * every seed and below the best fixed RM on three of five. `balance: true` (CLI `--balance`) runs
 * it (`balanceRule: 'paths'`: this project's earlier rule).
 */
const BALANCE_DEFAULT = false;

export const offlineDefaults = {
  d: 64,
  epochs: 30,
  lr: 0.01,
  batchSize: 256,
  seed: 1,
  holdout: 0.2,
  lossWeights: { bt: 1, cls: 0, reg: 0 },
  balance: BALANCE_DEFAULT,
} as const;

export async function trainOfflineRouter(options: OfflineTrainOptions): Promise<{ prior: PriorFile; report: OfflineReport }> {
  const d = options.d ?? offlineDefaults.d;
  const epochs = options.epochs ?? offlineDefaults.epochs;
  const lr = options.lr ?? offlineDefaults.lr;
  const batchSize = options.batchSize ?? offlineDefaults.batchSize;
  const seed = options.seed ?? offlineDefaults.seed;
  const holdout = options.holdout ?? offlineDefaults.holdout;
  const balance = options.balance ?? offlineDefaults.balance;
  const lossWeights: LossWeights = { ...offlineDefaults.lossWeights, ...options.lossWeights };
  requireConfig(Number.isInteger(d) && d >= 1, 'd', `must be a positive integer, got ${d}`);
  requireConfig(Number.isInteger(epochs) && epochs >= 0, 'epochs', `must be a non-negative integer, got ${epochs}`);
  requireConfig(Number.isFinite(lr) && lr > 0, 'lr', `must be > 0, got ${lr}`);
  requireConfig(Number.isInteger(batchSize) && batchSize >= 1, 'batchSize', `must be a positive integer, got ${batchSize}`);
  requireConfig(Number.isSafeInteger(seed) && seed >= 0, 'seed', `must be a non-negative integer, got ${seed}`);
  requireConfig(Number.isFinite(holdout) && holdout >= 0 && holdout < 1, 'holdout', `must be in [0, 1), got ${holdout}`);
  for (const key of ['bt', 'cls', 'reg'] as const) {
    const w = lossWeights[key];
    requireConfig(Number.isFinite(w) && w >= 0, `lossWeights.${key}`, `must be a finite number >= 0, got ${w}`);
  }
  requireConfig(lossWeights.bt + lossWeights.cls + lossWeights.reg > 0, 'lossWeights', 'at least one weight must be > 0');

  const data = typeof options.data === 'string' ? await readJsonl(options.data) : options.data;
  const projection = options.projection ?? data.width !== d;
  requireConfig(projection || data.width === d, 'projection', `input width ${data.width} ≠ d ${d} needs the projection head`);
  const nEval = Math.round(holdout * data.ids.length);
  requireConfig(data.ids.length - nEval >= 1, 'holdout', `leaves no training example out of ${data.ids.length}`);

  const backend = await loadBackend(options.backend ?? 'auto');
  const started = performance.now();
  const out = trainModel(backend.tf, data, {
    d,
    projection,
    epochs,
    lr,
    batchSize,
    seed,
    holdout,
    lossWeights,
    balance,
    balanceRule: options.balanceRule,
    btAverage: options.btAverage,
    onEpoch: options.onEpoch,
  });
  const trainMs = performance.now() - started;
  const params = out.model.export();
  out.model.dispose();

  // Metrics come from the exported float64 parameters through the router's own projection code,
  // so the reported accuracy is the accuracy of the file, not of the float32 training graph.
  const split = out.evalRows.length > 0 ? 'holdout' : 'train';
  const rows = split === 'holdout' ? out.evalRows : out.trainRows;
  const picks = routePicks({ d, projection: params.projection, embeddings: params.embeddings }, data, rows);
  const metrics: PriorMetrics = { split, ...evaluatePicks(rows, picks, data.labels, data.categories, data.arms) };

  const prior: PriorFile = {
    format: PRIOR_FORMAT,
    d,
    arms: [...data.arms],
    embeddings: params.embeddings,
    projection: params.projection,
    metrics,
    training: {
      seed,
      epochs,
      lossWeights,
      lr,
      batchSize,
      holdout,
      balance,
      examples: data.ids.length,
      pairs: out.pairs,
      balancedPairs: out.balancedPairs,
    },
  };
  const report: OfflineReport = {
    backend: backend.name,
    backendNotes: backend.notes,
    trainMs,
    examples: data.ids.length,
    trainExamples: out.trainRows.length,
    evalExamples: out.evalRows.length,
    pairs: out.pairs,
    balancedPairs: out.balancedPairs,
    inputDim: data.width,
    d,
    projection,
    epochLosses: out.epochLosses,
    metrics,
  };
  return { prior, report };
}

/** Writes the prior atomically (temp file + rename), creating the directory. Throws `RR_IO`. */
export async function writePrior(path: string, prior: PriorFile): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, serializePrior(prior), 'utf8');
    await rename(tmp, path);
  } catch (err) {
    throw new RouterError('RR_IO', `cannot write prior ${path}: ${(err as Error).message}`, { cause: err, source: path, field: 'out' });
  }
}

/** Reads and validates a prior file. Throws `RR_IO` (unreadable) or `RR_INVALID_PRIOR`. */
export async function readPrior(path: string): Promise<PriorFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RouterError('RR_IO', `cannot read prior ${path}: ${(err as Error).message}`, { cause: err, source: path, field: 'prior' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RouterError('RR_INVALID_PRIOR', `${path}: not valid JSON (${(err as Error).message})`, {
      cause: err,
      source: path,
      field: '(root)',
    });
  }
  return parsePrior(json, path);
}
