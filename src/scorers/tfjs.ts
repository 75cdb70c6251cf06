/**
 * The `tfjs` backend: a reward model saved in tfjs format (tfjsModel.ts), run in the scorer's
 * process on the best rung of the ladder (tfLadder.ts), warmed up once at start (the first predict
 * compiles kernels / uploads weights). Pointwise: each distinct (prompt, response) of a
 * micro-batch is featurized and scored once, `maxBatch` texts per predict call.
 */
import type { Clock } from '../bus/types.ts';
import { featurizeBatch } from './featurize.ts';
import { scorePointwise, type TextItem } from './pointwise.ts';
import { Resilient, RmCallError } from './resilience.ts';
import { climbLadder, realProbe, type Rung, type RungProbe, type TfPreference } from './tfLadder.ts';
import { loadRewardModel } from './tfjsModel.ts';
import type { RmBackend } from './types.ts';

export interface TfjsBackendOptions {
  modelDir: string;
  tfBackend: TfPreference;
  maxBatch: number;
  clock: Clock;
  probe?: RungProbe;
}

export interface TfjsBackend extends RmBackend {
  readonly rung: Rung;
  readonly notes: string[];
  readonly warmupMs: number;
  /** Rewards of (prompt, response) texts, straight from the model (tests, bench). */
  rewards(items: readonly TextItem[]): Promise<number[]>;
}

export async function tfjsBackend(o: TfjsBackendOptions): Promise<TfjsBackend> {
  const { tf, rung, notes } = await climbLadder(o.probe ?? realProbe, o.tfBackend);
  const { model, featurizer, version } = await loadRewardModel(tf, o.modelDir);
  const rewards = async (items: readonly TextItem[]): Promise<number[]> => {
    const x = tf.tensor2d(featurizeBatch(featurizer, items), [items.length, featurizer.dim]);
    const y = model.predict(x) as import('@tensorflow/tfjs').Tensor;
    const out = Array.from(await y.data());
    x.dispose();
    y.dispose();
    return out;
  };
  const t0 = o.clock.now();
  await rewards([{ prompt: 'warm-up', response: 'warm-up' }]);
  const warmupMs = o.clock.now() - t0;
  // A local model needs no retries or breaker; the Resilient caller only bounds it to one call at a time.
  const res = new Resilient(
    { concurrency: 1, timeoutMs: 600_000, retries: 0, backoffBaseMs: 0, backoffCapMs: 0, breakerFailures: 1e9, breakerOpenMs: 0 },
    o.clock,
    0,
    'tfjs',
  );
  const call = async (items: readonly TextItem[]): Promise<number[]> => {
    const out = await rewards(items);
    if (!out.every(Number.isFinite)) throw new RmCallError('RM_BAD_RESPONSE', 'the model gave a non-finite reward', false);
    return out;
  };
  return {
    kind: 'tfjs',
    modelVersion: version,
    rung,
    notes,
    warmupMs,
    rewards,
    scorePairs: (pairs) => scorePointwise(pairs, call, res, o.maxBatch),
    stats: () => ({ predictCalls: res.stats.attempts, warmupMs }),
    async close() {
      model.dispose();
    },
  };
}
