/**
 * A stand-in for Text Embeddings Inference serving a sequence-classification model, reproducing
 * what its router does (huggingface/text-embeddings-inference, router/src/http/server.rs,
 * router/src/http/types.rs, router/src/lib.rs), with a made-up model:
 *
 * - `GET /info`: the Info object (model_type `reranker` for one label, `classifier` for more, with
 *   id2label / label2id; `max_client_batch_size`, default 32 like `--max-client-batch-size`).
 * - `POST /predict`: the body through axum's Json extractor (no JSON content type 415, over the
 *   payload limit 413, bad JSON 400, a body that does not deserialize 422 with a plain-text
 *   message); `inputs` read like PredictInput's visitor (a string, a pair, or a batch whose
 *   elements are [text] or [text, text_pair]); a batch above `max_client_batch_size` is
 *   413 `{"error": "batch size N > maximum allowed batch size M", "error_type": "Validation"}`; an input
 *   longer than `max_input_length` tokens fails the whole request, 413 Validation, like its
 *   tokenizer; each input answers every label, highest score first, logits when `raw_scores`, else
 *   sigmoid (one label) or softmax.
 *
 * Tokens are whitespace-separated words here. The logit of label j for an input is fakeReward of
 * its texts joined by "\n" (and `#j` for j > 0). Not a test file.
 */
import { fakeReward } from './fakeRm.ts';
import { json, sigmoid, softmax, startLocal, text, tokens, type LocalServer, type Received, type Reply } from './localServer.ts';

export interface TeiOptions {
  maxClientBatchSize?: number;
  /** id2label, in order (default one label: LABEL_0). */
  labels?: string[];
  maxInputLength?: number;
  payloadLimit?: number;
  /** Serve an embedding model (its /predict answers 424). */
  embedding?: boolean;
}

/** The stand-in's logit of label `j` for one input ([text] or [text, text_pair]). */
export function teiLogit(seq: readonly string[], j = 0): number {
  return fakeReward(seq.join('\n') + (j === 0 ? '' : `#${j}`));
}

const EXPECTING = 'a string, a pair of strings [string, string] or a batch of mixed strings and pairs [[string], [string, string], ...]';

/** PredictInput's deserializer: the sequences, whether it was a batch, or the serde message. */
function predictInputs(v: unknown): { batch: boolean; seqs: string[][] } | string {
  if (typeof v === 'string') return { batch: false, seqs: [[v]] };
  if (!Array.isArray(v)) return `inputs: invalid type: ${v === null ? 'null' : typeof v}, expected ${EXPECTING}`;
  if (v.length === 0) return `inputs: invalid length 0, expected ${EXPECTING}`;
  if (typeof v[0] === 'string') {
    if (v.length > 2) return `inputs: invalid length 3, expected ${EXPECTING}`;
    if (!v.every((t) => typeof t === 'string')) return `inputs: invalid type: sequence, expected a string`;
    return { batch: false, seqs: [v as string[]] };
  }
  const seqs: string[][] = [];
  for (const s of v) {
    if (!Array.isArray(s) || !s.every((t) => typeof t === 'string')) return `inputs: invalid type: ${typeof s}, expected a sequence`;
    if (s.length !== 1 && s.length !== 2) return `inputs: invalid length ${s.length}, expected ${EXPECTING}`;
    seqs.push(s as string[]);
  }
  return { batch: true, seqs };
}

export interface TeiServer extends LocalServer {
  readonly opts: Required<TeiOptions>;
  /** The /predict request bodies, parsed. */
  predicts(): { inputs: unknown; raw_scores?: boolean }[];
}

export async function startTei(o: TeiOptions = {}): Promise<TeiServer> {
  const opts: Required<TeiOptions> = {
    maxClientBatchSize: o.maxClientBatchSize ?? 32,
    labels: o.labels ?? ['LABEL_0'],
    maxInputLength: o.maxInputLength ?? 512,
    payloadLimit: o.payloadLimit ?? 2_000_000,
    embedding: o.embedding ?? false,
  };
  const id2label = Object.fromEntries(opts.labels.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(opts.labels.map((l, i) => [l, i]));
  const err = (status: number, error: string, error_type: string): Reply => json(status, { error, error_type });

  const predict = (r: Received): Reply => {
    if (!String(r.headers['content-type'] ?? '').startsWith('application/json'))
      return text(415, 'Expected request with `Content-Type: application/json`');
    if (Buffer.byteLength(r.raw) > opts.payloadLimit) return text(413, 'Failed to buffer the request body: length limit exceeded');
    let body: unknown;
    try {
      body = JSON.parse(r.raw);
    } catch (e) {
      return text(400, `Failed to parse the request body as JSON: ${(e as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || !('inputs' in body))
      return text(422, 'Failed to deserialize the JSON body into the target type: missing field `inputs`');
    const b = body as { inputs: unknown; raw_scores?: unknown; truncate?: unknown };
    if (b.raw_scores !== undefined && typeof b.raw_scores !== 'boolean')
      return text(422, 'Failed to deserialize the JSON body into the target type: raw_scores: invalid type, expected a boolean');
    const parsed = predictInputs(b.inputs);
    if (typeof parsed === 'string') return text(422, `Failed to deserialize the JSON body into the target type: ${parsed}`);
    if (opts.embedding) return err(424, 'model is not a classifier model', 'Backend');
    if (parsed.batch && parsed.seqs.length > opts.maxClientBatchSize)
      return err(413, `batch size ${parsed.seqs.length} > maximum allowed batch size ${opts.maxClientBatchSize}`, 'Validation');
    for (const s of parsed.seqs) {
      const n = tokens(s.join(' ')) + 2; // [CLS] … [SEP] (… [SEP])
      if (b.truncate !== true && n > opts.maxInputLength)
        return err(413, `\`inputs\` must have less than ${opts.maxInputLength} tokens. Given: ${n}`, 'Validation');
    }
    const predictions = parsed.seqs.map((s) => {
      const logits = opts.labels.map((_, j) => teiLogit(s, j));
      const scores = b.raw_scores === true ? logits : logits.length === 1 ? logits.map(sigmoid) : softmax(logits);
      return scores.map((score, j) => ({ score, label: opts.labels[j]! })).sort((x, y) => y.score - x.score);
    });
    return json(200, parsed.batch ? predictions : predictions[0]);
  };

  const server = await startLocal((r) => {
    if (r.path === '/info' && r.method === 'GET')
      return json(200, {
        model_id: 'local/fake-rm',
        model_sha: null,
        model_dtype: 'float16',
        model_type: opts.embedding
          ? { embedding: { pooling: 'cls' } }
          : { [opts.labels.length > 1 ? 'classifier' : 'reranker']: { id2label, label2id } },
        max_concurrent_requests: 512,
        max_input_length: opts.maxInputLength,
        max_batch_tokens: 16384,
        max_batch_requests: null,
        max_client_batch_size: opts.maxClientBatchSize,
        auto_truncate: false,
        tokenization_workers: 1,
        version: '0.0.0-local',
        sha: null,
        docker_label: null,
      });
    if (r.path === '/predict' && r.method === 'POST') return predict(r);
    return { status: r.path === '/predict' || r.path === '/info' ? 405 : 404, body: '' };
  });
  return Object.assign(server, {
    opts,
    predicts: () => server.received.filter((r) => r.path === '/predict').map((r) => JSON.parse(r.raw) as { inputs: unknown }),
  });
}
