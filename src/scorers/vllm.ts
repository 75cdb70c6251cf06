/**
 * vLLM's OpenAI-compatible server serving a pooling model, as its entrypoints read and answer
 * (vllm/entrypoints/pooling/{pooling,classify,score}/ and base/protocol.py; older releases:
 * vllm/entrypoints/openai/serving_{pooling,classification,score}.py and protocol.py):
 *
 * vllm-pooling, a reward model on `/pooling`:
 *   POST <url>  {"model"?, "messages": [...chat, {"role": "assistant", "content": response}]}   one conversation
 *               {"model"?, "input": [text, ...], "add_special_tokens"?: false}                    query modes with one text
 *   200         {"data": [{"index": i, "data": ...}, ...], ...}
 *     `data` is what the model's pooler returned: a sequence (outcome) reward model on the classify
 *     task gives one value per label ([r] for a one-output RM), a token reward model
 *     (token_classify) one row per token ([[r_0], [r_1], ...]), whose last row is the reward at the
 *     last (EOS) position. The reward is element `label` (default 0) of that vector or last row.
 *     `messages` is rendered by the server with the model's own chat template, without a
 *     generation prompt (`add_generation_prompt` defaults to false for /pooling), so the response
 *     is a finished assistant turn with its end-of-turn tokens.
 * vllm-classify, a classifier on `/classify`:
 *   POST <url>  {"model"?, "input": [text, ...], "add_special_tokens"?: false}
 *   200         {"data": [{"index": i, "label": name, "probs": [p_0, ...], "num_classes": k}, ...], ...}
 *     the reward is `probs[label]` (default 0).
 * vllm-score, a cross-encoder on `/score`:
 *   POST <url>  {"model"?, "text_1": [prompt, ...], "text_2": [response, ...]}    N:N, paired by position
 *   200         {"data": [{"index": i, "score": s}, ...], ...}
 *
 * Errors: `{"error": {"message", "type", "param", "code"}}` (older: `{"object": "error", "message",
 * "type", "param", "code"}`) with the status in `code`, 400 for a bad request (too long for the
 * model, a wrong field), 404 for a model the server does not serve. `add_special_tokens: false` is
 * sent with chat-templated text, which already holds the template's special tokens (vLLM's default
 * for `input` is to add them again).
 */
import { RouterError } from '../core/errors.ts';
import type { JsonPoster } from './post.ts';
import { checkRewards } from './pointwise.ts';
import { chatWithResponse, plainPrompt, queryText, type ProtocolCall, type QueryOptions } from './query.ts';
import { RmCallError } from './resilience.ts';

export interface VllmOptions {
  /** The served model name (`--served-model-name`); absent: not sent (the server's only model). */
  model?: string;
  /** Which element of the pooled vector (pooling) or of `probs` (classify) is the reward. */
  label: number;
}

/** `data[]` of a reply, each entry placed at its `index` (every index 0…n−1 exactly once). */
function byIndex(reply: unknown, n: number, what: string): Record<string, unknown>[] {
  const data = (reply as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new RmCallError('RM_BAD_RESPONSE', `${what}: no "data" list`, false);
  if (data.length !== n) throw new RmCallError('RM_BAD_RESPONSE', `${what}: ${data.length} results for ${n} inputs`, false);
  const out: (Record<string, unknown> | undefined)[] = new Array(n);
  data.forEach((d: unknown, j) => {
    const i = (d as { index?: unknown } | null)?.index ?? j;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n || out[i] !== undefined)
      throw new RmCallError('RM_BAD_RESPONSE', `${what}: result ${j} has index ${JSON.stringify(i)}`, false);
    out[i] = d as Record<string, unknown>;
  });
  return out as Record<string, unknown>[];
}

/** The reward in a pooled output: a number; element `label` of a vector; element `label` of a token matrix's last row. */
export function pooledReward(data: unknown, label: number): unknown {
  if (typeof data === 'number') return data;
  if (!Array.isArray(data) || data.length === 0) return data;
  const last = data[data.length - 1];
  const row = Array.isArray(last) ? last : data;
  return row[label];
}

const withModel = (o: VllmOptions, body: Record<string, unknown>): Record<string, unknown> =>
  o.model === undefined ? body : { model: o.model, ...body };

/** The `input` list of a query mode with one text per item; chat-templated text keeps its own special tokens. */
function inputBody(items: Parameters<ProtocolCall>[0], q: QueryOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { input: items.map((t) => queryText(t, q)) };
  if (q.mode === 'chat-template') body.add_special_tokens = false;
  return body;
}

export function vllmPoolingCall(poster: JsonPoster, q: QueryOptions, o: VllmOptions): ProtocolCall {
  return async (items, signal, parents) => {
    if (q.mode === 'messages' && items.length !== 1)
      throw new RmCallError('RM_BAD_RESPONSE', `vllm-pooling with messages takes one conversation per request, not ${items.length}`, false);
    const body = q.mode === 'messages' ? { messages: chatWithResponse(items[0]!) } : inputBody(items, q);
    const reply = await poster.post(withModel(o, body), signal, { parents });
    const data = byIndex(reply, items.length, 'vllm /pooling reply');
    return checkRewards(
      data.map((d) => pooledReward(d.data, o.label)),
      items.length,
      'vllm /pooling reply',
    );
  };
}

export function vllmClassifyCall(poster: JsonPoster, q: QueryOptions, o: VllmOptions): ProtocolCall {
  return async (items, signal, parents) => {
    const reply = await poster.post(withModel(o, inputBody(items, q)), signal, { parents });
    const data = byIndex(reply, items.length, 'vllm /classify reply');
    return checkRewards(
      data.map((d) => (Array.isArray(d.probs) ? d.probs[o.label] : undefined)),
      items.length,
      'vllm /classify reply',
    );
  };
}

export function vllmScoreCall(poster: JsonPoster, o: VllmOptions): ProtocolCall {
  return async (items, signal, parents) => {
    const body = { text_1: items.map((t) => plainPrompt(t)), text_2: items.map((t) => t.response) };
    const reply = await poster.post(withModel(o, body), signal, { parents });
    const data = byIndex(reply, items.length, 'vllm /score reply');
    return checkRewards(
      data.map((d) => d.score),
      items.length,
      'vllm /score reply',
    );
  };
}

/** `/v1/models` of the server that serves `url`. */
export function vllmModelsUrl(url: URL): URL {
  return new URL('/v1/models', url);
}

/**
 * The preflight: reads `/v1/models`; a configured `model` the server does not serve is RR_RM
 * (every call would be a 404). A server without the route (404, not JSON) is let through.
 */
export async function checkVllmModel(poster: JsonPoster, model: string | undefined, signal: AbortSignal, field: string): Promise<void> {
  let body: unknown;
  try {
    body = await poster.get(vllmModelsUrl(poster.url), signal);
  } catch (e) {
    if (e instanceof RmCallError && (e.status === 404 || e.status === 200)) return;
    throw e;
  }
  const ids = ((body as { data?: unknown } | null)?.data as { id?: unknown }[] | undefined)?.map((m) => m?.id);
  if (model === undefined || !Array.isArray(ids)) return;
  if (!ids.includes(model))
    throw new RouterError(
      'RR_RM',
      `${field}: ${poster.url.origin} does not serve model ${JSON.stringify(model)} (it serves ${JSON.stringify(ids)})`,
      {
        field,
      },
    );
}
