/**
 * Shadow scoring's draw: whether a pair is also sent to every other RM as audit requests. A Philox
 * uniform per (seed, run, pair id) on a key (`<run>/shadow`) and stream tag of its own, so turning
 * shadow scoring on or changing its fraction never moves a routing, tie or keep draw: the routing
 * decisions stay bit-identical, and which pairs are shadow does not depend on batching or arrival
 * order (a replay, a what-if and the recorded run pick the same pairs).
 */
import { requireConfig } from './errors.ts';
import { CounterRng, Stream } from './rng.ts';

/** Validates a shadow fraction: a finite number with 0 ≤ f ≤ 1 (RR_INVALID_CONFIG `shadow.fraction` otherwise). */
export function checkShadowFraction(fraction: unknown): number {
  requireConfig(
    typeof fraction === 'number' && Number.isFinite(fraction) && fraction >= 0 && fraction <= 1,
    'shadow.fraction',
    `must be a number with 0 ≤ f ≤ 1, got ${JSON.stringify(fraction)}`,
  );
  return fraction;
}

/** `pairId → shadow?` for a fraction f: the pair's uniform draw u ∈ (0, 1) is below f (f = 0: none; f = 1: all). */
export function shadowPicker(seed: number, run: string, fraction: number): (pairId: string) => boolean {
  const f = checkShadowFraction(fraction);
  if (f === 0) return () => false;
  const rng = new CounterRng(seed, `${run}/shadow`);
  return (pairId) => rng.pairUniform(pairId, 0, Stream.shadow) < f;
}
