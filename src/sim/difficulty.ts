/**
 * Shared blind spots. Per pair, one difficulty u ~ U(0, 1) is common to all RMs; each RM takes it as
 * its own error draw with probability rho, else draws a fresh uniform, and is right iff the draw is
 * below its accuracy p. The draw is uniform either way, so every RM keeps its accuracy exactly, but
 * the hardest pairs (u near 1) fool every RM that shares them: errors cluster on the same pairs,
 * which is what makes majority votes and ensembles weaker than under independent errors.
 */
import type { RngSequence } from '../core/rng.ts';

/** The RM's error draw: the common difficulty `u` with probability `rho`, else its own uniform. */
export function sharedUniform(seq: RngSequence, u: number, rho: number): number {
  const shares = seq.uniform() < rho;
  const own = seq.uniform();
  return shares ? u : own;
}
