import { concatMap, type OperatorFunction } from 'rxjs';
import { codecError } from '../avro/errors.ts';
import { promptOf } from '../encoder/featurize.ts';
import type { PairEncoder } from '../encoder/types.ts';
import type { Generation } from '../records/types.ts';
import type { Work } from './types.ts';

/**
 * Fills in the vector of every pair that came without one (`embedding: []`), from the record's
 * prompt and the pair's responses, with the router's text encoder: one encoder call per record (its
 * distinct texts batched), so a pair's vector never depends on which records were consumed with it.
 * A pair that has a vector is left as it is. Without an encoder, or without prompt text, nothing is
 * filled and `validateGeneration` dead-letters the empty vector as WRONG_VECTOR_LENGTH. An encoder
 * failure rejects the record (INVALID_RECORD, the RR_ENCODER error as its message).
 *
 * Order is kept (`concatMap`), because offsets are acknowledged in order.
 */
export function embedGenerations(encoder: PairEncoder | null): OperatorFunction<Work<Generation>, Work<Generation>> {
  return concatMap(async (work): Promise<Work<Generation>> => {
    const g = work.value;
    if (encoder === null || g === undefined) return work;
    const prompt = promptOf(g);
    const missing = g.pairs.flatMap((p, i) => (p.embedding.length === 0 ? [i] : []));
    if (missing.length === 0 || prompt === '') return work;
    try {
      const vectors = await encoder.embedPairs(
        missing.map((i) => ({ prompt, responseA: g.pairs[i]!.responseA, responseB: g.pairs[i]!.responseB })),
      );
      const pairs = [...g.pairs];
      missing.forEach((i, n) => {
        pairs[i] = { ...g.pairs[i]!, embedding: Array.from(vectors[n]!) };
      });
      return { ...work, value: { ...g, pairs } };
    } catch (error) {
      const err = codecError(
        'RR_INVALID_RECORD',
        'INVALID_RECORD',
        `encoder ${encoder.info.name} failed on ${g.promptId}: ${(error as Error).message}`,
      );
      return {
        record: work.record,
        value: undefined,
        rejected: [...work.rejected, { record: work.record, error: err, reason: 'INVALID_RECORD' }],
      };
    }
  });
}
