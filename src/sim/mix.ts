/** Category mixes: resolving a MixSpec against the pool, and the (possibly drifting) mix at batch t. */
import { requireConfig } from '../core/errors.ts';
import type { MixSpec, SimConfig } from './config.ts';

/** Normalized weights over `categories` (sums to 1). */
export function resolveMix(spec: MixSpec, categories: readonly string[], field: string): Float64Array {
  const n = categories.length;
  const w = new Float64Array(n);
  if (spec === 'uniform') {
    w.fill(1);
  } else if (spec === 'front' || spec === 'back') {
    // Weight 4 on one half (the larger half when n is odd), 1 on the other: a clear but not total tilt.
    const half = Math.ceil(n / 2);
    for (let i = 0; i < n; i++) {
      const inFront = i < half;
      w[i] = (spec === 'front') === inFront ? 4 : 1;
    }
  } else if (typeof spec === 'object' && spec !== null) {
    for (const [name, v] of Object.entries(spec)) {
      const i = categories.indexOf(name);
      requireConfig(i >= 0, `${field}.${name}`, `unknown category (known: ${categories.join(', ')})`);
      requireConfig(Number.isFinite(v) && v >= 0, `${field}.${name}`, `expected a finite weight ≥ 0, got ${v}`);
      w[i] = v;
    }
  } else {
    requireConfig(false, field, `expected 'uniform', 'front', 'back' or weights by category, got ${JSON.stringify(spec)}`);
  }
  let total = 0;
  for (const v of w) total += v;
  requireConfig(total > 0, field, 'at least one category needs a positive weight');
  for (let i = 0; i < n; i++) w[i]! /= total;
  return w;
}

/** Precomputed drift schedule: `at(t)` is the category mix of batch t. */
export interface MixSchedule {
  at(t: number): Float64Array;
}

export function mixSchedule(cfg: SimConfig, categories: readonly string[]): MixSchedule {
  const from = resolveMix(cfg.categoryMix, categories, 'sim.categoryMix');
  const drift = cfg.drift;
  if (drift.kind === 'none') return { at: () => from };
  const to = resolveMix(drift.to, categories, 'sim.drift.to');
  if (drift.kind === 'switch') {
    const at = drift.atBatch ?? Math.floor(cfg.batches / 2);
    return { at: (t) => (t < at ? from : to) };
  }
  const start = drift.startBatch;
  const end = drift.endBatch ?? cfg.batches - 1;
  return {
    at(t) {
      const lambda = end <= start ? (t >= end ? 1 : 0) : Math.min(1, Math.max(0, (t - start) / (end - start)));
      const w = new Float64Array(from.length);
      for (let i = 0; i < w.length; i++) w[i] = (1 - lambda) * from[i]! + lambda * to[i]!;
      return w;
    },
  };
}
