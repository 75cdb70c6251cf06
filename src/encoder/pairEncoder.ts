/**
 * A PairEncoder over any sentence embedder: each distinct (prompt, response) text is embedded once
 * (a prompt's r responses make r·(r−1)/2 pairs but only r texts), in chunks of `batchSize`, then
 * every pair is featurized (featurize.ts).
 */
import { RouterError } from '../core/errors.ts';
import { FEATURIZATION, pairFeature, promptResponseText } from './featurize.ts';
import type { PairEncoder, PairText, SentenceEmbedder } from './types.ts';

export interface PairEncoderOptions {
  /** Texts per call of the embedder (default 64). */
  batchSize?: number;
}

export function createPairEncoder(embedder: SentenceEmbedder, opts: PairEncoderOptions = {}): PairEncoder {
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new RouterError('RR_INVALID_CONFIG', `encoder batchSize: must be an integer >= 1, got ${batchSize}`, { field: 'batchSize' });
  return {
    info: { name: embedder.name, checksum: embedder.checksum, dim: 2 * embedder.dim, featurization: FEATURIZATION },
    async embedPairs(pairs: readonly PairText[]): Promise<Float64Array[]> {
      const index = new Map<string, number>();
      const texts: string[] = [];
      const slot = (text: string): number => {
        let i = index.get(text);
        if (i === undefined) index.set(text, (i = texts.push(text) - 1));
        return i;
      };
      const refs = pairs.map(
        (p) => [slot(promptResponseText(p.prompt, p.responseA)), slot(promptResponseText(p.prompt, p.responseB))] as const,
      );
      const vectors: Float64Array[] = [];
      for (let from = 0; from < texts.length; from += batchSize) {
        const chunk = texts.slice(from, from + batchSize);
        const out = await embedder.embed(chunk);
        if (out.length !== chunk.length)
          throw new RouterError('RR_ENCODER', `${embedder.name}: ${chunk.length} texts in, ${out.length} vectors out`);
        vectors.push(...out);
      }
      return refs.map(([a, b]) => pairFeature(vectors[a]!, vectors[b]!));
    },
    close: () => embedder.close(),
  };
}
