/**
 * Text Embeddings Inference (huggingface/text-embeddings-inference) serving a sequence-classification
 * reward model, as its router reads and answers `/predict` (router/src/http/server.rs, types.rs):
 *
 *   POST <url>  {"inputs": [["<prompt>", "<response>"], ...], "raw_scores": true}     (query mode pair)
 *               {"inputs": [["<text>"], ...], "raw_scores": true}                      (one text per input)
 *   200         [[{"score": s, "label": "LABEL_0"}, ...], ...]     per input, every label, highest score first
 *   413         {"error": "batch size 64 > maximum allowed batch size 32", "error_type": "Validation"}
 *
 * `raw_scores` keeps the model's logits (without it TEI applies a sigmoid or softmax). The reward
 * is the score of the configured label: a name, or an index mapped through the model's `id2label`
 * (from `/info`; `LABEL_<n>` when unknown); an input with a single label (a one-output RM, the
 * usual case) gives its only score.
 *
 * `GET /info` (same server) tells `max_client_batch_size` (default 32: `--max-client-batch-size`)
 * and the model type; the preflight reads it once, so a batch never exceeds what the server takes.
 */
import { RouterError } from '../core/errors.ts';
import type { JsonPoster } from './post.ts';
import { checkRewards } from './pointwise.ts';
import { plainPrompt, queryText, type ProtocolCall, type QueryOptions } from './query.ts';
import { RmCallError } from './resilience.ts';

/** TEI's own default `--max-client-batch-size`. */
export const TEI_MAX_CLIENT_BATCH = 32;

/** What `/info` told, when it was read. */
export interface TeiInfo {
  maxClientBatchSize?: number;
  id2label?: Record<string, string>;
  modelType?: string;
}

/** The label whose score is the reward: a name, or an index through id2label (LABEL_<n> when unknown). */
function wantedLabel(label: number | string, info: TeiInfo): string {
  if (typeof label === 'string') return label;
  return info.id2label?.[String(label)] ?? `LABEL_${label}`;
}

export function teiCall(poster: JsonPoster, q: QueryOptions, label: number | string, info: TeiInfo): ProtocolCall {
  return async (items, signal, parents) => {
    const inputs = items.map((t) => (q.mode === 'pair' ? [plainPrompt(t), t.response] : [queryText(t, q)]));
    const reply = await poster.post({ inputs, raw_scores: true }, signal, { parents });
    if (!Array.isArray(reply)) return checkRewards(reply, items.length, 'tei /predict reply');
    const want = wantedLabel(label, info);
    const scores = reply.map((preds, i) => {
      if (!Array.isArray(preds) || preds.length === 0)
        throw new RmCallError('RM_BAD_RESPONSE', `tei /predict reply: input ${i} has no predictions`, false);
      if (preds.length === 1) return (preds[0] as { score?: unknown } | null)?.score;
      const hit = (preds as { label?: unknown; score?: unknown }[]).find((p) => p?.label === want);
      if (hit === undefined)
        throw new RmCallError('RM_BAD_RESPONSE', `tei /predict reply: input ${i} has no label ${JSON.stringify(want)}`, false);
      return hit.score;
    });
    return checkRewards(scores, items.length, 'tei /predict reply');
  };
}

/** The `/info` of the server that serves `predictUrl` (the same path with its last segment replaced). */
export function teiInfoUrl(predictUrl: URL): URL {
  return new URL('info', predictUrl);
}

/**
 * Reads `/info` (the preflight): what it tells, or undefined when the server has none (404, not
 * JSON). A model TEI serves as an embedding model is refused here: its /predict would answer 424.
 */
export async function readTeiInfo(poster: JsonPoster, signal: AbortSignal, field: string): Promise<TeiInfo | undefined> {
  let body: unknown;
  try {
    body = await poster.get(teiInfoUrl(poster.url), signal);
  } catch (e) {
    if (e instanceof RmCallError && (e.status === 404 || e.status === 200)) return undefined;
    throw e;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { max_client_batch_size?: unknown; model_type?: unknown };
  const info: TeiInfo = {};
  if (typeof b.max_client_batch_size === 'number' && Number.isInteger(b.max_client_batch_size) && b.max_client_batch_size >= 1)
    info.maxClientBatchSize = b.max_client_batch_size;
  if (typeof b.model_type === 'object' && b.model_type !== null) {
    const [kind, model] = Object.entries(b.model_type as Record<string, unknown>)[0] ?? [];
    info.modelType = kind;
    const id2label = (model as { id2label?: unknown } | undefined)?.id2label;
    if (typeof id2label === 'object' && id2label !== null) info.id2label = id2label as Record<string, string>;
  }
  if (info.modelType === 'embedding')
    throw new RouterError('RR_RM', `${field}: ${poster.url.origin} serves an embedding model; /predict needs a classifier (TEI /info)`, {
      field,
    });
  return info;
}
