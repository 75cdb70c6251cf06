/**
 * Offline→online shift: the online pairwise probabilities. The offline data
 * (and so the router's prior) always uses the pool's own numbers; only the
 * online stream sees the shifted ones. This models a prior learned on one
 * distribution and deployed on another, the case online updating must fix.
 */
import { requireConfig } from '../core/errors.ts';
import type { SimConfig } from './config.ts';
import type { RmPool } from './profiles.ts';

export interface ShiftChange {
  model: string;
  category: string;
  offline: number;
  online: number;
}

/** Categories shifted by `demoteBest` / `demotePrior`, as indices into pool.categories. */
export function shiftedCategories(pool: RmPool, cats: 'alternate' | readonly string[]): number[] {
  if (cats === 'alternate') return pool.categories.map((_, i) => i).filter((i) => i % 2 === 0);
  return cats.map((c, i) => {
    const j = pool.categories.indexOf(c);
    requireConfig(j >= 0, `sim.shift.categories[${i}]`, `unknown category ${JSON.stringify(c)}`);
    return j;
  });
}

/** [model][category] online probabilities for the config's shift (a fresh copy). */
export function onlineProbabilities(pool: RmPool, cfg: Pick<SimConfig, 'shift' | 'shiftClip'>): number[][] {
  const p = pool.pairwise.map((row) => row.slice());
  const shift = cfg.shift;
  // demotePrior needs the trained prior: applied later by applyPriorShift.
  if (shift.kind === 'none' || shift.kind === 'demotePrior') return p;
  const [lo, hi] = cfg.shiftClip;
  const clip = (v: number) => Math.min(hi, Math.max(lo, v));
  if (shift.kind === 'explicit') {
    for (const [model, row] of Object.entries(shift.deltas)) {
      const k = pool.models.indexOf(model);
      requireConfig(k >= 0, `sim.shift.deltas.${model}`, 'unknown model');
      for (const [cat, delta] of Object.entries(row)) {
        const c = pool.categories.indexOf(cat);
        requireConfig(c >= 0, `sim.shift.deltas.${model}.${cat}`, 'unknown category');
        requireConfig(Number.isFinite(delta), `sim.shift.deltas.${model}.${cat}`, 'expected a finite number');
        p[k]![c] = clip(p[k]![c]! + delta);
      }
    }
    return p;
  }
  if (pool.models.length < 2) return p; // no runner-up to promote: nothing to swap
  for (const c of shiftedCategories(pool, shift.categories)) {
    // Rank by offline probability; ties go to the earlier model so the choice is deterministic.
    const order = pool.models.map((_, k) => k).sort((a, b) => pool.pairwise[b]![c]! - pool.pairwise[a]![c]! || a - b);
    const best = order[0]!;
    const runnerUp = order[1]!;
    p[best]![c] = clip(p[best]![c]! - shift.delta);
    p[runnerUp]![c] = clip(p[runnerUp]![c]! + shift.delta);
  }
  return p;
}

/** The cells the shift changed, for reports and tests. */
export function shiftChanges(pool: RmPool, online: readonly (readonly number[])[]): ShiftChange[] {
  const out: ShiftChange[] = [];
  pool.models.forEach((model, k) => {
    pool.categories.forEach((category, c) => {
      const offline = pool.pairwise[k]![c]!;
      const on = online[k]![c]!;
      if (on !== offline) out.push({ model, category, offline, online: on });
    });
  });
  return out;
}

/**
 * The `demotePrior` shift: in each shifted category, `preferred[c]` (the RM the trained prior
 * prefers there) loses delta and the best other RM by offline probability gains it (ties: by name).
 * Returns a fresh [model][category] table; other shift kinds return `online` unchanged.
 */
export function applyPriorShift(
  pool: RmPool,
  cfg: Pick<SimConfig, 'shift' | 'shiftClip'>,
  online: readonly (readonly number[])[],
  preferred: readonly number[],
): number[][] {
  const p = online.map((row) => row.slice());
  const shift = cfg.shift;
  if (shift.kind !== 'demotePrior' || pool.models.length < 2) return p;
  const [lo, hi] = cfg.shiftClip;
  const clip = (v: number) => Math.min(hi, Math.max(lo, v));
  for (const c of shiftedCategories(pool, shift.categories)) {
    const demoted = preferred[c]!;
    const others = pool.models
      .map((_, k) => k)
      .filter((k) => k !== demoted)
      .sort((a, b) => pool.pairwise[b]![c]! - pool.pairwise[a]![c]! || (pool.models[a]! < pool.models[b]! ? -1 : 1));
    p[demoted]![c] = clip(p[demoted]![c]! - shift.delta);
    p[others[0]!]![c] = clip(p[others[0]!]![c]! + shift.delta);
  }
  return p;
}
