// Shared set-up of the stream-app tests: a small synthetic prior and loop settings (d = 16, 8 prompts of
// 6 pairs per batch), so the whole loop runs in seconds. Not a test file (no .test.ts suffix).
import { CounterRng } from '../../src/core/rng.ts';
import { PRIOR_FORMAT, type PriorFile } from '../../src/core/prior.ts';
import { defaultPool } from '../../src/sim/pool.ts';
import type { Logger, LoopSettings } from '../../streams/runtime/context.ts';
import { buildSettings, type SettingsInput } from '../../streams/runtime/settings.ts';

export const D = 16;

/** Unit-norm embeddings drawn from the counter RNG: a prior that needs no offline training. */
export function syntheticPrior(arms: readonly string[] = defaultPool, d = D): PriorFile {
  const rng = new CounterRng(7, 'test/prior');
  const embeddings = arms.map((a) => {
    const seq = rng.sequence(a);
    const v = Float64Array.from({ length: d }, () => seq.normal());
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  return {
    format: PRIOR_FORMAT,
    d,
    arms: [...arms],
    embeddings,
    projection: null,
    metrics: { router_accuracy: null, fixed: {} },
    training: { seed: 7, epochs: 0, lossWeights: { bt: 1, cls: 0, reg: 0 } },
  };
}

export function testSettings(over: SettingsInput = {}): LoopSettings {
  return buildSettings(
    {
      seed: 3,
      run: 'test/loop',
      prefix: 't.',
      partitions: 3,
      posteriorWaitMs: 600_000,
      ...over,
      sim: {
        scenario: 'shift',
        ...over.sim,
        config: { d: D, promptsPerBatch: 8, responsesPerPrompt: 4, batches: 20, ...over.sim?.config },
      },
    },
    syntheticPrior(),
  );
}

export const quietLog: Logger = { info() {}, warn() {}, error() {}, namespace: () => quietLog };
