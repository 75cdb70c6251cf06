/**
 * A batch of pair contexts, and the one place they are validated. Contexts are
 * unit-norm pair embeddings in R^d, stored row-major in one Float64Array so the
 * batched linear algebra can stream through them.
 */
import { RouterError } from './errors.ts';

export interface ContextBatch {
  /** Stable pair ids: the RNG key, so the draw never depends on position in the batch. */
  readonly pairIds: readonly string[];
  /** N×d row-major. */
  readonly X: Float64Array;
  readonly d: number;
}

/** Builds and validates a batch from per-pair vectors. */
export function makeBatch(pairIds: readonly string[], contexts: readonly ArrayLike<number>[], d: number): ContextBatch {
  if (pairIds.length !== contexts.length) {
    throw new RouterError('RR_INVALID_CONTEXT', `got ${pairIds.length} pair ids for ${contexts.length} contexts`, { field: 'pairIds' });
  }
  const X = new Float64Array(contexts.length * d);
  contexts.forEach((x, n) => {
    checkContext(x, d, `contexts[${n}]`, pairIds[n]);
    X.set(x, n * d);
  });
  return { pairIds, X, d };
}

/** Throws `RR_INVALID_CONTEXT` naming the field for a wrong length or a NaN/Inf entry. */
export function checkContext(x: ArrayLike<number>, d: number, field = 'context', pairId?: string): void {
  if (x.length !== d) {
    throw new RouterError('RR_INVALID_CONTEXT', `${field}: expected length ${d}, got ${x.length}`, {
      field,
      pairId,
      expected: d,
      actual: x.length,
    });
  }
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(x[i])) {
      throw new RouterError('RR_INVALID_CONTEXT', `${field}[${i}] is ${x[i]}, not a finite number`, { field: `${field}[${i}]`, pairId });
    }
  }
}

/** Validates an already-packed batch (e.g. one decoded from a record). */
export function checkBatch(batch: ContextBatch): void {
  const { pairIds, X, d } = batch;
  if (X.length !== pairIds.length * d) {
    throw new RouterError('RR_INVALID_CONTEXT', `batch holds ${X.length} numbers, expected ${pairIds.length}×${d}`, { field: 'X' });
  }
  const seen = new Set<string>();
  for (let n = 0; n < pairIds.length; n++) {
    const id = pairIds[n]!;
    if (seen.has(id)) throw new RouterError('RR_INVALID_CONTEXT', `duplicate pair id ${id}`, { field: `pairIds[${n}]`, pairId: id });
    seen.add(id);
    checkContext(X.subarray(n * d, (n + 1) * d), d, `contexts[${n}]`, id);
  }
}

/** The sub-batch at the given positions (e.g. to split work across router instances). */
export function sliceBatch(batch: ContextBatch, positions: readonly number[]): ContextBatch {
  const { d } = batch;
  const X = new Float64Array(positions.length * d);
  positions.forEach((p, n) => X.set(batch.X.subarray(p * d, (p + 1) * d), n * d));
  return { pairIds: positions.map((p) => batch.pairIds[p]!), X, d };
}
