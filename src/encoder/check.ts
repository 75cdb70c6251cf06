/** The router's guard: a prior is only valid in the encoder space it was trained in. */
import { RouterError } from '../core/errors.ts';
import type { PriorEncoder, PriorFile } from '../core/prior.ts';

export function describeEncoder(e: PriorEncoder | undefined): string {
  return e === undefined ? 'none (vectors supplied by the data)' : `${e.name} (${e.checksum}, dim ${e.dim}, ${e.featurization})`;
}

export function sameEncoder(a: PriorEncoder | undefined, b: PriorEncoder | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.name === b.name && a.checksum === b.checksum && a.dim === b.dim && a.featurization === b.featurization;
}

/**
 * Throws `RR_ENCODER_MISMATCH`, naming both encoders, unless the prior was trained with exactly the
 * router's encoder (name, model checksum, dimension, featurization). A router without an encoder
 * accepts any prior: it routes only the vectors the trainer supplies.
 */
export function checkPriorEncoder(prior: Pick<PriorFile, 'encoder'>, router: PriorEncoder | null, source = 'prior'): void {
  if (router === null || sameEncoder(prior.encoder, router)) return;
  throw new RouterError(
    'RR_ENCODER_MISMATCH',
    `${source} was trained with encoder ${describeEncoder(prior.encoder)}, but the router's encoder is ${describeEncoder(router)}`,
    {
      field: 'encoder',
      source,
      priorEncoder: prior.encoder ?? null,
      routerEncoder: router,
    },
  );
}
