import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { PRIOR_FORMAT, parsePrior, serializePrior } from '../../src/core/prior.ts';
import type { PriorFile } from '../../src/core/prior.ts';
import { CounterRng } from '../../src/core/rng.ts';

const SRC = 'prior.json';

// The malformed cases poke arbitrary holes into decoded JSON; a typed view would only get in the way.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function unit(v: Float64Array): Float64Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function samplePrior(withProjection: boolean): PriorFile {
  const rng = new CounterRng(11, 'prior-test').sequence('values');
  const d = 5;
  const inputDim = 3;
  const embeddings = [0, 1, 2].map(() => unit(Float64Array.from({ length: d }, () => rng.normal())));
  const row = (n: number) => Float64Array.from({ length: n }, () => rng.normal() * 1e-3);
  const bias = row(d);
  // Awkward values that a lossy writer would change: -0, a subnormal, 0.1 + 0.2, a huge magnitude.
  bias[0] = -0;
  bias[1] = 5e-324;
  bias[2] = 0.1 + 0.2;
  bias[3] = -1.7976931348623157e308;
  return {
    format: PRIOR_FORMAT,
    d,
    arms: ['Skywork-Reward-V2-Qwen3-0.6B', 'gpt-4.1 (judge)', 'rm "quoted"'],
    embeddings,
    projection: withProjection
      ? { inputDim, weight: Array.from({ length: d }, () => row(inputDim)), bias, gamma: row(d).map((x) => 1 + x), beta: row(d), eps: 1e-5 }
      : null,
    metrics: {
      split: 'holdout',
      n_eval: 120,
      router_accuracy: 0.9083333333333333,
      fixed: { 'Skywork-Reward-V2-Qwen3-0.6B': 0.75, 'gpt-4.1 (judge)': 0.8166666666666667, 'rm "quoted"': null },
      per_category: {
        Math: { n_eval: 60, router_accuracy: 0.95, fixed: { 'gpt-4.1 (judge)': 0.9 } },
        Focus: { n_eval: 0, router_accuracy: null, fixed: {} },
      },
    },
    training: {
      seed: 1,
      epochs: 30,
      lossWeights: { bt: 1, cls: 0.9, reg: 0.6 },
      lr: 0.01,
      batchSize: 256,
      holdout: 0.2,
      examples: 600,
      pairs: 900,
      balancedPairs: 880,
    },
  };
}

/** The decoded JSON of a valid prior, to break one field at a time. */
const validJson = (withProjection = true): Loose => JSON.parse(serializePrior(samplePrior(withProjection)));

function rejects(json: unknown, field: string): void {
  assert.throws(
    () => parsePrior(json, SRC),
    (e) => isRouterError(e, 'RR_INVALID_PRIOR') && e.field === field && e.source === SRC,
    `expected RR_INVALID_PRIOR on ${field}`,
  );
}

describe('prior round trip', () => {
  for (const withProjection of [false, true]) {
    it(`is exact ${withProjection ? 'with' : 'without'} a projection`, () => {
      const p = samplePrior(withProjection);
      const text = serializePrior(p);
      const back = parsePrior(JSON.parse(text), SRC);
      // Categories come back sorted: the writer's order is part of the stable format.
      const expected = {
        ...p,
        metrics: { ...p.metrics, per_category: { Focus: p.metrics.per_category!['Focus']!, Math: p.metrics.per_category!['Math']! } },
      };
      assert.deepStrictEqual(back, expected);
      assert.ok(Object.is(back.projection?.bias[0] ?? -0, -0), '-0 survives');
      assert.equal(serializePrior(back), text, 'serialize ∘ parse is the identity on written files');
    });
  }

  it('writes keys in a fixed order whatever the input order', () => {
    const p = samplePrior(false);
    const shuffled = {
      training: p.training,
      metrics: p.metrics,
      projection: null,
      embeddings: p.embeddings,
      arms: p.arms,
      d: p.d,
      format: p.format,
    };
    assert.equal(serializePrior(shuffled as PriorFile), serializePrior(p));
    const keys = Object.keys(JSON.parse(serializePrior(p)));
    assert.deepEqual(keys, ['format', 'd', 'arms', 'embeddings', 'projection', 'metrics', 'training']);
  });

  it('accepts the example of docs/formats.md (no split / n_eval)', () => {
    const e = [1, 0];
    const p = parsePrior(
      {
        format: 'reward-router/prior@1',
        d: 2,
        arms: ['a', 'b'],
        embeddings: [e, [0, -1]],
        projection: null,
        metrics: { router_accuracy: 0.91, fixed: { b: 0.86 } },
        training: { seed: 1, epochs: 30, lossWeights: { bt: 1, cls: 0, reg: 0 } },
      },
      SRC,
    );
    assert.deepEqual(p.metrics, { router_accuracy: 0.91, fixed: { b: 0.86 } });
    assert.deepEqual(parsePrior(JSON.parse(serializePrior(p)), SRC), p);
  });
});

describe('parsePrior rejects', () => {
  const cases: [string, (j: Loose) => unknown, string][] = [
    ['a non-object', () => [1, 2], '(root)'],
    ['an unknown format', (j) => ({ ...j, format: 'reward-router/prior@2' }), 'format'],
    ['a missing format', (j) => ({ ...j, format: undefined }), 'format'],
    ['a non-integer d', (j) => ({ ...j, d: 4.5 }), 'd'],
    ['d = 0', (j) => ({ ...j, d: 0 }), 'd'],
    ['embeddings of the wrong width (d mismatch)', (j) => ({ ...j, d: 4 }), 'embeddings[0]'],
    ['empty arms', (j) => ({ ...j, arms: [] }), 'arms'],
    ['a non-string arm', (j) => ({ ...j, arms: [j.arms[0], 7, j.arms[2]] }), 'arms[1]'],
    ['a duplicate arm', (j) => ({ ...j, arms: [j.arms[0], j.arms[0], j.arms[2]] }), 'arms[1]'],
    ['fewer embeddings than arms', (j) => ({ ...j, embeddings: j.embeddings.slice(0, 2) }), 'embeddings'],
    ['more embeddings than arms', (j) => ({ ...j, embeddings: [...j.embeddings, j.embeddings[0]] }), 'embeddings'],
    ['a NaN in an embedding', (j) => ((j.embeddings[1][2] = Number.NaN), j), 'embeddings[1][2]'],
    ['an Infinity in an embedding', (j) => ((j.embeddings[1][0] = Infinity), j), 'embeddings[1][0]'],
    ['a string number in an embedding', (j) => ((j.embeddings[0][0] = '0.5'), j), 'embeddings[0][0]'],
    ['a null in an embedding', (j) => ((j.embeddings[2][4] = null), j), 'embeddings[2][4]'],
    ['a non-unit embedding', (j) => ((j.embeddings[2] = j.embeddings[2].map((x: number) => 2 * x)), j), 'embeddings[2]'],
    ['a projection with too few rows', (j) => (j.projection.weight.pop(), j), 'projection.weight'],
    ['a projection row of the wrong width', (j) => (j.projection.weight[3].push(0), j), 'projection.weight[3]'],
    ['a projection bias of the wrong length', (j) => (j.projection.bias.pop(), j), 'projection.bias'],
    ['a NaN in the projection', (j) => ((j.projection.gamma[1] = Number.NaN), j), 'projection.gamma[1]'],
    ['a missing projection beta', (j) => (delete j.projection.beta, j), 'projection.beta'],
    ['a non-positive eps', (j) => ((j.projection.eps = 0), j), 'projection.eps'],
    ['a non-integer inputDim', (j) => ((j.projection.inputDim = 2.5), j), 'projection.inputDim'],
    ['a non-object projection', (j) => ({ ...j, projection: [1] }), 'projection'],
    ['missing metrics', (j) => ({ ...j, metrics: undefined }), 'metrics'],
    ['an accuracy above 1', (j) => ((j.metrics.router_accuracy = 1.5), j), 'metrics.router_accuracy'],
    ['a fixed accuracy for an unknown arm', (j) => ((j.metrics.fixed['ghost'] = 0.5), j), 'metrics.fixed.ghost'],
    ['a bad split', (j) => ((j.metrics.split = 'test'), j), 'metrics.split'],
    [
      'a bad per-category block',
      (j) => ((j.metrics.per_category.Math.router_accuracy = '0.9'), j),
      'metrics.per_category.Math.router_accuracy',
    ],
    ['missing training', (j) => ({ ...j, training: undefined }), 'training'],
    ['a negative loss weight', (j) => ((j.training.lossWeights.cls = -1), j), 'training.lossWeights.cls'],
    ['a non-integer seed', (j) => ((j.training.seed = 1.5), j), 'training.seed'],
  ];
  for (const [name, breakIt, field] of cases) {
    it(`${name} (field ${field})`, () => rejects(breakIt(validJson()), field));
  }

  it('names the source in the message', () => {
    assert.throws(() => parsePrior({ format: 'x' }, 'priors/a.json'), /priors\/a\.json: format/);
  });
});
