// A prior in the text encoder's space without training: unit-norm RM embeddings and a projection from
// the encoder's width to d, drawn from the counter RNG, tagged with the encoder (or none).
import { PRIOR_FORMAT, type PriorEncoder, type PriorFile } from '../../src/core/prior.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { defaultPool } from '../../src/sim/pool.ts';

export function textPrior(encoder: PriorEncoder | undefined, width: number, d = 16): PriorFile {
  const rng = new CounterRng(11, 'test/text-prior');
  const w = rng.sequence('w');
  const unit = (v: Float64Array) => v.map((x) => x / Math.hypot(...v));
  const prior: PriorFile = {
    format: PRIOR_FORMAT,
    d,
    arms: [...defaultPool],
    embeddings: defaultPool.map((a) => unit(Float64Array.from({ length: d }, () => rng.sequence(a).normal()))),
    projection: {
      inputDim: width,
      weight: Array.from({ length: d }, () => Float64Array.from({ length: width }, () => 0.2 * w.normal())),
      bias: new Float64Array(d),
      gamma: new Float64Array(d).fill(1),
      beta: new Float64Array(d),
      eps: 1e-5,
    },
    metrics: { router_accuracy: null, fixed: {} },
    training: { seed: 11, epochs: 0, lossWeights: { bt: 1, cls: 0, reg: 0 } },
  };
  return encoder === undefined ? prior : { ...prior, encoder };
}
