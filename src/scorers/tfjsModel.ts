/**
 * The tfjs reward model on disk, in tfjs' own layers format: `model.json` (topology and weights
 * manifest, format "layers-model") + one weight shard, + `featurizer.json` (FeaturizerSpec). Read
 * and written with plain fs through tfjs' IO handlers, so it needs no tfjs-node (whose `file://`
 * handler would); the files are the same a `model.save('file://…')` writes, and load there too.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { RouterError } from '../core/errors.ts';
import type { Tf } from '../offline/backend.ts';
import type { FeaturizerSpec } from './featurize.ts';

const SHARD = 'group1-shard1of1.bin';

/** Dense(dim → hidden, relu) → Dense(hidden → 1): a scalar reward of (prompt, response) features. */
export function buildRewardModel(tf: Tf, dim: number, hidden: number, seed: number): LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [dim],
        units: hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        name: 'hidden',
      }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), name: 'reward' }),
    ],
  });
}

function joinBuffers(data: ArrayBuffer | ArrayBuffer[]): Buffer {
  return Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
}

export async function saveRewardModel(tf: Tf, model: LayersModel, dir: string, featurizer: FeaturizerSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [SHARD], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      await writeFile(join(dir, SHARD), weights);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    }),
  );
  await writeFile(join(dir, 'featurizer.json'), JSON.stringify(featurizer, null, 2) + '\n');
}

export interface LoadedRewardModel {
  model: LayersModel;
  featurizer: FeaturizerSpec;
  /** `tfjs-sha256:` + the first 16 hex of sha256(model.json ‖ shards ‖ featurizer.json). */
  version: string;
}

export async function loadRewardModel(tf: Tf, dir: string): Promise<LoadedRewardModel> {
  try {
    const jsonBytes = await readFile(join(dir, 'model.json'));
    const json = JSON.parse(jsonBytes.toString('utf8')) as {
      modelTopology: object;
      weightsManifest: { paths: string[]; weights: never[] }[];
    };
    const hash = createHash('sha256').update(jsonBytes);
    const shards: Buffer[] = [];
    const specs: import('@tensorflow/tfjs').io.WeightsManifestEntry[] = [];
    for (const group of json.weightsManifest) {
      for (const p of group.paths) {
        const b = await readFile(join(dir, p));
        hash.update(b);
        shards.push(b);
      }
      specs.push(...group.weights);
    }
    const featBytes = await readFile(join(dir, 'featurizer.json'));
    hash.update(featBytes);
    const featurizer = JSON.parse(featBytes.toString('utf8')) as FeaturizerSpec;
    if (featurizer.name !== 'hashed-ngrams' || featurizer.version !== 2 || !Number.isInteger(featurizer.dim))
      throw new Error(`unknown featurizer ${JSON.stringify(featurizer)}`);
    const all = Buffer.concat(shards);
    const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
    return { model, featurizer, version: `tfjs-sha256:${hash.digest('hex').slice(0, 16)}` };
  } catch (cause) {
    throw new RouterError('RR_RM', `cannot load the tfjs reward model in ${dir}: ${(cause as Error).message}`, { cause, source: dir });
  }
}
