/**
 * The real encoder: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), int8 ONNX, run by
 * transformers.js (@huggingface/transformers → onnxruntime-node, CPU) from a model directory on disk.
 * Remote models are switched off: nothing is ever fetched from a hub at run time (`encoder fetch`
 * installs the directory beforehand, src/encoder/fetch.ts).
 *
 * h(text) = L2-normalize(mean over real tokens of the last hidden state), truncated at 256 tokens,
 * as sentence-transformers runs this model; pooling and normalization are done here in float64.
 * One intra-op thread by default: the machine is shared and the vectors stay the same run to run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RouterError } from '../core/errors.ts';
import type { SentenceEmbedder } from './types.ts';

export const MINILM_NAME = 'all-MiniLM-L6-v2-int8';
export const MINILM_DIM = 384;
/** sentence-transformers' max_seq_length for this model. */
export const MINILM_MAX_TOKENS = 256;
/** The files the model directory must hold. */
export const MINILM_FILES = ['onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json'] as const;

export interface MiniLMOptions {
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
}

export function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

interface Tensor {
  data: ArrayLike<number | bigint>;
  dims: number[];
}

export async function loadMiniLM(dir: string, opts: MiniLMOptions = {}): Promise<SentenceEmbedder> {
  const root = resolve(dir);
  for (const f of MINILM_FILES) {
    if (!existsSync(join(root, f)))
      throw new RouterError('RR_ENCODER', `${root}: missing ${f} (install the model with \`npx reward-router encoder fetch\`)`, {
        source: root,
        field: 'encoder',
      });
  }
  const checksum = sha256File(join(root, 'onnx/model_quantized.onnx'));
  // Loaded lazily: `npm start` on supplied vectors never pays for (or needs) the ONNX runtime.
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = `${dirname(root)}/`;
  const id = basename(root);
  const threads = opts.threads ?? 1;
  let tokenizer: Awaited<ReturnType<typeof tf.AutoTokenizer.from_pretrained>>;
  let model: Awaited<ReturnType<typeof tf.AutoModel.from_pretrained>>;
  try {
    tokenizer = await tf.AutoTokenizer.from_pretrained(id);
    model = await tf.AutoModel.from_pretrained(id, { dtype: 'q8', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
  } catch (cause) {
    throw new RouterError('RR_ENCODER', `${root}: cannot load ${MINILM_NAME}: ${(cause as Error).message}`, {
      cause,
      source: root,
      field: 'encoder',
    });
  }
  const special = tokenizer.encode('', { add_special_tokens: true });
  const [cls, sep] = [special[0]!, special[special.length - 1]!];
  return {
    name: MINILM_NAME,
    checksum,
    dim: MINILM_DIM,
    async embed(texts: readonly string[]): Promise<Float64Array[]> {
      if (texts.length === 0) return [];
      // Truncation by hand: transformers.js 4.3 cuts the sequence *with* its special tokens (the final
      // [SEP] is lost past 256 tokens), where sentence-transformers and the tokenizers library cut the
      // text and keep [CLS] … [SEP]. Measured against scripts/encoder_reference.py.
      const rows = texts.map((t) => [cls, ...tokenizer.encode(t, { add_special_tokens: false }).slice(0, MINILM_MAX_TOKENS - 2), sep]);
      const len = Math.max(...rows.map((r) => r.length));
      const ids = new BigInt64Array(rows.length * len);
      const mask = new BigInt64Array(rows.length * len);
      rows.forEach((r, i) =>
        r.forEach((id, t) => {
          ids[i * len + t] = BigInt(id);
          mask[i * len + t] = 1n;
        }),
      );
      const shape = [rows.length, len];
      const inputs = {
        input_ids: new tf.Tensor('int64', ids, shape),
        attention_mask: new tf.Tensor('int64', mask, shape),
        token_type_ids: new tf.Tensor('int64', new BigInt64Array(rows.length * len), shape),
      };
      const out = (await model(inputs)) as { last_hidden_state: Tensor };
      const hidden = out.last_hidden_state;
      const [n, , dim] = hidden.dims as [number, number, number];
      const h = hidden.data as Float32Array;
      const vectors: Float64Array[] = [];
      for (let i = 0; i < n; i++) {
        const v = new Float64Array(dim);
        let count = 0;
        for (let t = 0; t < len; t++) {
          if (Number(mask[i * len + t]) === 0) continue;
          count++;
          const base = (i * len + t) * dim;
          for (let j = 0; j < dim; j++) v[j] = v[j]! + h[base + j]!;
        }
        let ss = 0;
        for (let j = 0; j < dim; j++) {
          v[j] = v[j]! / Math.max(count, 1);
          ss += v[j]! * v[j]!;
        }
        const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
        for (let j = 0; j < dim; j++) v[j] = v[j]! * inv;
        vectors.push(v);
      }
      return vectors;
    },
    async close() {
      await model.dispose();
    },
  };
}
