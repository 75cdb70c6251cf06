/**
 * The prior file (`reward-router/prior@1`, docs/formats.md): what the offline stage learned and the
 * router loads. Pure: parsing takes an already-decoded JSON value, serializing returns a string.
 *
 * Vectors are Float64Array because every consumer does float64 math on them; `serializePrior` writes
 * each number with JavaScript's shortest round-trip representation (and `-0` as `-0`), so
 * `parsePrior(JSON.parse(serializePrior(p)))` gives back bit-identical values.
 */

import { RouterError } from './errors.ts';

export const PRIOR_FORMAT = 'reward-router/prior@1';

/** Tolerance on |‖e_k‖ − 1|: loose enough for float32-trained vectors renormalized in float64. */
export const UNIT_NORM_TOLERANCE = 1e-6;

/** x = L2normalize(LayerNorm(ReLU(W·u + b))): maps an input of width `inputDim` to width d. */
export interface Projection {
  inputDim: number;
  /** d rows of `inputDim` numbers (row i gives output coordinate i). */
  weight: Float64Array[];
  bias: Float64Array;
  gamma: Float64Array;
  beta: Float64Array;
  eps: number;
}

export interface AccuracyBlock {
  /** Examples counted (those with at least one correct RM); optional in hand-written files. */
  n_eval?: number;
  /** Share of them where argmax_k s_k is a correct RM; null when n_eval = 0. */
  router_accuracy: number | null;
  /** Each fixed RM's accuracy on the same examples. */
  fixed: Record<string, number | null>;
}

export interface PriorMetrics extends AccuracyBlock {
  /** Which examples the metrics were measured on: the held-out split, or the training set if none. */
  split?: 'holdout' | 'train';
  per_category?: Record<string, AccuracyBlock>;
}

export interface LossWeights {
  bt: number;
  cls: number;
  reg: number;
}

export interface TrainingInfo {
  seed: number;
  epochs: number;
  lossWeights: LossWeights;
  lr?: number;
  batchSize?: number;
  holdout?: number;
  /** Examples in the data file, ranking pairs before and after balancing (training split). */
  examples?: number;
  pairs?: number;
  balancedPairs?: number;
  /** Whether the balancing step ran. */
  balance?: boolean;
}

/**
 * The text encoder whose space the prior was trained in (absent: vectors supplied by the data). The
 * router refuses a prior whose encoder differs from its own (src/encoder/check.ts).
 */
export interface PriorEncoder {
  /** Model id, e.g. `all-MiniLM-L6-v2-int8`. */
  name: string;
  /** `sha256:<hex>` of the model file. */
  checksum: string;
  /** Width of the pair feature the projection reads (2 × the sentence embedding width). */
  dim: number;
  /** Id of the pair featurization, e.g. `mean-absdiff@1`. */
  featurization: string;
}

export interface PriorFile {
  format: typeof PRIOR_FORMAT;
  d: number;
  arms: string[];
  /** One unit-norm d-vector per arm, in `arms` order. */
  embeddings: Float64Array[];
  projection: Projection | null;
  /** Set when the offline data was text embedded by an encoder; absent in older files. */
  encoder?: PriorEncoder;
  metrics: PriorMetrics;
  training: TrainingInfo;
}

// ---------------------------------------------------------------- parsing

type Obj = Record<string, unknown>;

function fail(source: string, field: string, message: string): never {
  throw new RouterError('RR_INVALID_PRIOR', `${source}: ${field}: ${message}`, { field, source });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, source: string, field: string): Obj {
  if (!isObj(v)) fail(source, field, 'must be an object');
  return v;
}

function finite(v: unknown, source: string, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(source, field, `must be a finite number, got ${String(v)}`);
  return v;
}

function posInt(v: unknown, source: string, field: string): number {
  const n = finite(v, source, field);
  if (!Number.isInteger(n) || n < 1) fail(source, field, `must be a positive integer, got ${n}`);
  return n;
}

function nonNegInt(v: unknown, source: string, field: string): number {
  const n = finite(v, source, field);
  if (!Number.isInteger(n) || n < 0) fail(source, field, `must be a non-negative integer, got ${n}`);
  return n;
}

function vector(v: unknown, length: number, source: string, field: string): Float64Array {
  if (!Array.isArray(v)) fail(source, field, 'must be an array of numbers');
  if (v.length !== length) fail(source, field, `must have ${length} numbers, got ${v.length}`);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = finite(v[i], source, `${field}[${i}]`);
  return out;
}

function rate(v: unknown, source: string, field: string): number | null {
  if (v === null) return null;
  const x = finite(v, source, field);
  if (x < 0 || x > 1) fail(source, field, `must be in [0, 1], got ${x}`);
  return x;
}

function parseProjection(v: unknown, d: number, source: string): Projection | null {
  if (v === null) return null;
  const p = obj(v, source, 'projection');
  const inputDim = posInt(p['inputDim'], source, 'projection.inputDim');
  const w = p['weight'];
  if (!Array.isArray(w)) fail(source, 'projection.weight', 'must be an array of d rows');
  if (w.length !== d) fail(source, 'projection.weight', `must have d = ${d} rows, got ${w.length}`);
  const weight = w.map((row, i) => vector(row, inputDim, source, `projection.weight[${i}]`));
  const eps = finite(p['eps'], source, 'projection.eps');
  if (eps <= 0) fail(source, 'projection.eps', `must be > 0, got ${eps}`);
  return {
    inputDim,
    weight,
    bias: vector(p['bias'], d, source, 'projection.bias'),
    gamma: vector(p['gamma'], d, source, 'projection.gamma'),
    beta: vector(p['beta'], d, source, 'projection.beta'),
    eps,
  };
}

function parseEncoder(v: unknown, width: number, source: string): PriorEncoder {
  const e = obj(v, source, 'encoder');
  const str = (k: string): string => {
    const x = e[k];
    if (typeof x !== 'string' || x === '') fail(source, `encoder.${k}`, 'must be a non-empty string');
    return x;
  };
  const dim = posInt(e['dim'], source, 'encoder.dim');
  if (dim !== width) fail(source, 'encoder.dim', `is ${dim}, but the prior reads inputs of width ${width}`);
  return { name: str('name'), checksum: str('checksum'), dim, featurization: str('featurization') };
}

function parseAccuracy(v: unknown, arms: string[], source: string, field: string): AccuracyBlock {
  const m = obj(v, source, field);
  const router_accuracy = rate(m['router_accuracy'], source, `${field}.router_accuracy`);
  const f = obj(m['fixed'], source, `${field}.fixed`);
  const fixed: Record<string, number | null> = {};
  for (const key of Object.keys(f)) {
    if (!arms.includes(key)) fail(source, `${field}.fixed.${key}`, 'is not one of arms');
  }
  // Arms order, so serialization is stable whatever order the file used.
  for (const arm of arms) {
    if (arm in f) fixed[arm] = rate(f[arm], source, `${field}.fixed.${arm}`);
  }
  const out: AccuracyBlock = { router_accuracy, fixed };
  if (m['n_eval'] !== undefined) out.n_eval = nonNegInt(m['n_eval'], source, `${field}.n_eval`);
  return out;
}

function parseMetrics(v: unknown, arms: string[], source: string): PriorMetrics {
  const m = obj(v, source, 'metrics');
  const out: PriorMetrics = parseAccuracy(m, arms, source, 'metrics');
  const split = m['split'];
  if (split !== undefined) {
    if (split !== 'holdout' && split !== 'train')
      fail(source, 'metrics.split', `must be "holdout" or "train", got ${JSON.stringify(split)}`);
    out.split = split;
  }
  if (m['per_category'] !== undefined) {
    const pc = obj(m['per_category'], source, 'metrics.per_category');
    out.per_category = {};
    for (const cat of Object.keys(pc).sort()) {
      out.per_category[cat] = parseAccuracy(pc[cat], arms, source, `metrics.per_category.${cat}`);
    }
  }
  return out;
}

function parseTraining(v: unknown, source: string): TrainingInfo {
  const t = obj(v, source, 'training');
  const lw = obj(t['lossWeights'], source, 'training.lossWeights');
  const lossWeights: LossWeights = { bt: 0, cls: 0, reg: 0 };
  for (const k of ['bt', 'cls', 'reg'] as const) {
    const w = finite(lw[k], source, `training.lossWeights.${k}`);
    if (w < 0) fail(source, `training.lossWeights.${k}`, `must be >= 0, got ${w}`);
    lossWeights[k] = w;
  }
  const out: TrainingInfo = {
    seed: nonNegInt(t['seed'], source, 'training.seed'),
    epochs: nonNegInt(t['epochs'], source, 'training.epochs'),
    lossWeights,
  };
  if (t['lr'] !== undefined) out.lr = finite(t['lr'], source, 'training.lr');
  if (t['batchSize'] !== undefined) out.batchSize = posInt(t['batchSize'], source, 'training.batchSize');
  if (t['holdout'] !== undefined)
    out.holdout = rate(t['holdout'], source, 'training.holdout') ?? fail(source, 'training.holdout', 'must not be null');
  if (t['balance'] !== undefined) {
    if (typeof t['balance'] !== 'boolean') fail(source, 'training.balance', 'must be true or false');
    out.balance = t['balance'];
  }
  for (const k of ['examples', 'pairs', 'balancedPairs'] as const) {
    if (t[k] !== undefined) out[k] = nonNegInt(t[k], source, `training.${k}`);
  }
  return out;
}

/**
 * Validates a decoded prior file. Throws `RR_INVALID_PRIOR` with `field` naming the first bad field
 * and `source` set to the given source (e.g. the file path). Unknown top-level keys are ignored so a
 * newer writer can add informational fields without breaking older routers.
 */
export function parsePrior(json: unknown, source: string): PriorFile {
  const root = obj(json, source, '(root)');
  if (root['format'] !== PRIOR_FORMAT) {
    fail(source, 'format', `unknown format ${JSON.stringify(root['format'])}, expected "${PRIOR_FORMAT}"`);
  }
  const d = posInt(root['d'], source, 'd');
  const a = root['arms'];
  if (!Array.isArray(a) || a.length === 0) fail(source, 'arms', 'must be a non-empty array of RM ids');
  const arms: string[] = [];
  a.forEach((id, i) => {
    if (typeof id !== 'string' || id.length === 0) fail(source, `arms[${i}]`, 'must be a non-empty string');
    if (arms.includes(id)) fail(source, `arms[${i}]`, `duplicate RM id ${JSON.stringify(id)}`);
    arms.push(id);
  });
  const e = root['embeddings'];
  if (!Array.isArray(e)) fail(source, 'embeddings', 'must be an array of d-vectors');
  if (e.length !== arms.length) fail(source, 'embeddings', `must have one vector per arm (${arms.length}), got ${e.length}`);
  const embeddings = e.map((row, k) => {
    const v = vector(row, d, source, `embeddings[${k}]`);
    let ss = 0;
    for (let i = 0; i < d; i++) ss += v[i]! * v[i]!;
    const norm = Math.sqrt(ss);
    if (Math.abs(norm - 1) > UNIT_NORM_TOLERANCE) fail(source, `embeddings[${k}]`, `must have unit norm, got ${norm}`);
    return v;
  });
  const projection = parseProjection(root['projection'], d, source);
  const out: PriorFile = {
    format: PRIOR_FORMAT,
    d,
    arms,
    embeddings,
    projection,
    metrics: parseMetrics(root['metrics'], arms, source),
    training: parseTraining(root['training'], source),
  };
  if (root['encoder'] !== undefined && root['encoder'] !== null)
    out.encoder = parseEncoder(root['encoder'], projection === null ? d : projection.inputDim, source);
  return out;
}

// ---------------------------------------------------------------- serializing

function num(x: number): string {
  // JSON.stringify(-0) is "0"; "-0" is valid JSON and parses back to -0, keeping the round trip exact.
  return Object.is(x, -0) ? '-0' : JSON.stringify(x);
}

function vec(v: ArrayLike<number>): string {
  const parts: string[] = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) parts[i] = num(v[i]!);
  return `[${parts.join(', ')}]`;
}

/** A block of vectors, one per line: readable in a diff, still plain JSON. */
function rows(vs: ArrayLike<number>[], indent: string): string {
  if (vs.length === 0) return '[]';
  return `[\n${vs.map((v) => `${indent}  ${vec(v)}`).join(',\n')}\n${indent}]`;
}

function accuracyFields(m: AccuracyBlock, arms: string[]): [string, unknown][] {
  const fixed: Record<string, number | null> = {};
  for (const arm of arms) if (arm in m.fixed) fixed[arm] = m.fixed[arm]!;
  const out: [string, unknown][] = [];
  if (m.n_eval !== undefined) out.push(['n_eval', m.n_eval]);
  out.push(['router_accuracy', m.router_accuracy], ['fixed', fixed]);
  return out;
}

/** Serializes with a fixed key order and exact numbers; ends with a newline. */
export function serializePrior(p: PriorFile): string {
  const head: [string, unknown][] = p.metrics.split === undefined ? [] : [['split', p.metrics.split]];
  const metrics: Record<string, unknown> = Object.fromEntries([...head, ...accuracyFields(p.metrics, p.arms)]);
  if (p.metrics.per_category !== undefined) {
    const pc: Record<string, unknown> = {};
    for (const cat of Object.keys(p.metrics.per_category).sort()) {
      pc[cat] = Object.fromEntries(accuracyFields(p.metrics.per_category[cat]!, p.arms));
    }
    metrics['per_category'] = pc;
  }
  const t = p.training;
  const training: Record<string, unknown> = {
    seed: t.seed,
    epochs: t.epochs,
    lossWeights: { bt: t.lossWeights.bt, cls: t.lossWeights.cls, reg: t.lossWeights.reg },
  };
  for (const k of ['lr', 'batchSize', 'holdout', 'balance', 'examples', 'pairs', 'balancedPairs'] as const) {
    if (t[k] !== undefined) training[k] = t[k];
  }
  let projection = 'null';
  if (p.projection !== null) {
    const q = p.projection;
    projection = [
      '{',
      `    "inputDim": ${q.inputDim},`,
      `    "weight": ${rows(q.weight, '    ')},`,
      `    "bias": ${vec(q.bias)},`,
      `    "gamma": ${vec(q.gamma)},`,
      `    "beta": ${vec(q.beta)},`,
      `    "eps": ${num(q.eps)}`,
      '  }',
    ].join('\n');
  }
  // Metrics and training hold only small numbers and strings, so JSON.stringify is exact there
  // (apart from -0, which no accuracy or setting can be).
  return [
    '{',
    `  "format": ${JSON.stringify(PRIOR_FORMAT)},`,
    `  "d": ${p.d},`,
    `  "arms": ${JSON.stringify(p.arms)},`,
    `  "embeddings": ${rows(p.embeddings, '  ')},`,
    `  "projection": ${projection},`,
    // Only when set, so files without an encoder keep their bytes.
    ...(p.encoder === undefined
      ? []
      : [
          `  "encoder": ${JSON.stringify({ name: p.encoder.name, checksum: p.encoder.checksum, dim: p.encoder.dim, featurization: p.encoder.featurization })},`,
        ]),
    `  "metrics": ${JSON.stringify(metrics, null, 2).replace(/\n/g, '\n  ')},`,
    `  "training": ${JSON.stringify(training, null, 2).replace(/\n/g, '\n  ')}`,
    '}',
    '',
  ].join('\n');
}

/** The prior's embeddings in the pool's arm order; a prior for other RMs is an error. */
export function embeddingsFor(prior: PriorFile, arms: readonly string[]): Float64Array[] {
  return arms.map((a) => {
    const k = prior.arms.indexOf(a);
    if (k < 0)
      throw new RouterError('RR_UNKNOWN_ARM', `the prior has no embedding for RM ${JSON.stringify(a)} (it has ${prior.arms.join(', ')})`, {
        field: 'arms',
        arm: a,
      });
    return prior.embeddings[k]!;
  });
}
