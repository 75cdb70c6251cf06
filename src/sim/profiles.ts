/**
 * RM profiles: per-category accuracies of real reward models, turned into the
 * per-category probability that each RM's pairwise label agrees with gold.
 * This is the only "real" input of the simulator; everything else is synthetic.
 */
import { RouterError } from '../core/errors.ts';

export const profileMetrics = [
  'best_of_4_accuracy_percent',
  'best_of_4_accuracy',
  'pairwise_accuracy_percent',
  'pairwise_accuracy',
] as const;

export type ProfileMetric = (typeof profileMetrics)[number];

export interface RmPool {
  categories: string[];
  models: string[];
  /** [model][category]: probability that the RM's pairwise label is correct (fraction in [0.5, 1]). */
  pairwise: number[][];
  metric: ProfileMetric;
  source: string;
  /** Profile values that `toPairwise` raised to the floor (0.5, a coin): callers should warn. */
  raised?: { model: string; category: string; value: number; pairwise: number }[];
}

/** Below this the RM would be worse than a coin; see `toPairwise`. */
export const PAIRWISE_FLOOR = 0.5;

function fail(field: string, source: string, message: string): never {
  throw new RouterError('RR_INVALID_PROFILE', `${source}: ${field}: ${message}`, { field, source });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One profile number to a pairwise probability. Best-of-4 accuracy a means the
 * chosen answer beat all three rejected ones; if those three comparisons were
 * independent with the same pairwise accuracy p, a = p^3, so p = a^(1/3).
 * Floor: a < 0.125 would give p < 0.5, i.e. an RM worse than a coin flip,
 * which the independence proxy cannot justify; such values are clamped to 0.5
 * (a "random" RM). The same floor applies to pairwise metrics below 0.5.
 */
export function toPairwise(value: number, metric: ProfileMetric): number {
  const fraction = metric.endsWith('_percent') ? value / 100 : value;
  const p = metric.startsWith('best_of_4') ? Math.cbrt(fraction) : fraction;
  return Math.max(PAIRWISE_FLOOR, p);
}

function metricRange(metric: ProfileMetric): number {
  return metric.endsWith('_percent') ? 100 : 1;
}

/** Validates a profile JSON value (see docs/formats.md) and converts it to an `RmPool`. */
export function parseProfiles(json: unknown, source: string): RmPool {
  if (!isRecord(json)) fail('(root)', source, 'expected a JSON object');
  const metric = json.metric;
  if (typeof metric !== 'string' || !(profileMetrics as readonly string[]).includes(metric)) {
    fail('metric', source, `expected one of ${profileMetrics.join(', ')}, got ${JSON.stringify(metric)}`);
  }
  const m = metric as ProfileMetric;
  const cats = json.categories;
  if (!Array.isArray(cats) || cats.length === 0) fail('categories', source, 'expected a non-empty array of strings');
  const categories: string[] = [];
  cats.forEach((c, i) => {
    if (typeof c !== 'string' || c.length === 0) fail(`categories[${i}]`, source, 'expected a non-empty string');
    if (categories.includes(c)) fail(`categories[${i}]`, source, `duplicate category ${JSON.stringify(c)}`);
    categories.push(c);
  });
  const modelsJson = json.models;
  if (!isRecord(modelsJson)) fail('models', source, 'expected an object: model -> category -> number');
  const models = Object.keys(modelsJson);
  if (models.length === 0) fail('models', source, 'expected at least one model');
  const hi = metricRange(m);
  const raised: NonNullable<RmPool['raised']> = [];
  const pairwise = models.map((name) => {
    const field = `models[${JSON.stringify(name)}]`;
    if (name.length === 0) fail(field, source, 'model names must be non-empty');
    const row = modelsJson[name];
    if (!isRecord(row)) fail(field, source, 'expected an object: category -> number');
    for (const key of Object.keys(row)) {
      if (!categories.includes(key)) fail(`${field}.${key}`, source, 'category not listed in "categories"');
    }
    return categories.map((c) => {
      const v = row[c];
      if (v === undefined) fail(`${field}.${c}`, source, 'missing');
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field}.${c}`, source, `expected a finite number, got ${JSON.stringify(v)}`);
      if (v < 0 || v > hi) fail(`${field}.${c}`, source, `out of range [0, ${hi}] for metric ${m}: ${v}`);
      const fraction = m.endsWith('_percent') ? v / 100 : v;
      const unclamped = m.startsWith('best_of_4') ? Math.cbrt(fraction) : fraction;
      const p = toPairwise(v, m);
      if (p > unclamped) raised.push({ model: name, category: c, value: v, pairwise: unclamped });
      return p;
    });
  });
  return { categories, models, pairwise, metric: m, source, ...(raised.length > 0 ? { raised } : {}) };
}

/** A sub-pool with the named models, in the order given. */
export function selectModels(pool: RmPool, names: readonly string[]): RmPool {
  if (names.length === 0) {
    throw new RouterError('RR_INVALID_CONFIG', 'models: select at least one model', { field: 'models' });
  }
  const seen = new Set<string>();
  const rows = names.map((name, i) => {
    const k = pool.models.indexOf(name);
    if (k < 0) {
      throw new RouterError('RR_INVALID_CONFIG', `models[${i}]: unknown model ${JSON.stringify(name)} (known: ${pool.models.join(', ')})`, {
        field: `models[${i}]`,
        source: pool.source,
      });
    }
    if (seen.has(name)) {
      throw new RouterError('RR_INVALID_CONFIG', `models[${i}]: duplicate model ${JSON.stringify(name)}`, { field: `models[${i}]` });
    }
    seen.add(name);
    return pool.pairwise[k]!.slice();
  });
  const raised = pool.raised?.filter((r) => names.includes(r.model));
  const { raised: _all, ...rest } = pool;
  return {
    ...rest,
    categories: pool.categories.slice(),
    models: names.slice(),
    pairwise: rows,
    ...(raised && raised.length > 0 ? { raised } : {}),
  };
}
