/**
 * A stand-in for vLLM's OpenAI-compatible server running a pooling model, reproducing what its
 * entrypoints read and answer (vllm/entrypoints/pooling/{pooling,classify,score}/protocol.py and
 * serving.py, base/protocol.py, the score utils' input-length rule, and the server's error
 * responses), with a made-up model:
 *
 * - `GET /v1/models`: `{"object": "list", "data": [{"id": <served name>, "object": "model", …}]}`.
 * - `POST /pooling`: `{model?, input}` (a string or a list) or `{model?, messages}` (one
 *   conversation, rendered with the model's chat template; `add_generation_prompt` defaults to
 *   false); `data[i].data` is the pooler's output: `[r]` for a sequence reward model on the
 *   classify task (one label), or one row per token `[[r_0], …, [r_T]]` for a token reward model
 *   (token_classify), whose last row is the sequence's reward.
 * - `POST /classify`: `{model?, input}` → `data[i] = {index, label, probs, num_classes}` (softmax).
 * - `POST /score`: `{model?, text_1, text_2}` (a string or a list each; 1:1, 1:N or N:N, else 400
 *   "Input lengths must be either 1:1, 1:N or N:N") → `data[i] = {index, object: "score", score}`
 *   (a cross-encoder's one output through a sigmoid).
 * - Errors: 400 for a body that does not validate or a text longer than `max_model_len` tokens,
 *   404 for a `model` it does not serve, as `{"error": {"message", "type", "param", "code"}}` (or
 *   the older flat `{"object": "error", "message", "type", "param", "code"}` with `legacyErrors`).
 *
 * Tokens are whitespace-separated words here. The sequence reward of a text is fakeReward(text);
 * with `add_special_tokens` (the default for `input`) a `<s> ` BOS is put before the text first, so
 * a client that sends templated text twice-tokenized gets another score. Not a test file.
 */
import type { ChatTemplate } from '../../src/scorers/chatTemplate.ts';
import { fakeReward } from './fakeRm.ts';
import { json, sigmoid, softmax, startLocal, tokens, type LocalServer, type Received, type Reply } from './localServer.ts';

export interface VllmOptions {
  /** `--served-model-name` (default "local/rm"). */
  served?: string;
  maxModelLen?: number;
  /** The model's chat template, for `messages` (required to accept them). */
  template?: ChatTemplate;
  /** The pooler /pooling runs (default classify: one value per label). */
  pooler?: 'classify' | 'token_classify';
  /** Labels of the classifier (default 1; /classify with 2 or more). */
  numLabels?: number;
  legacyErrors?: boolean;
}

export const BOS = '<s> ';

/** The stand-in's logit of label `j` for a text. */
export function vllmLogit(text: string, j = 0): number {
  return fakeReward(text + (j === 0 ? '' : `#${j}`));
}

/** The stand-in's cross-encoder score of a (text_1, text_2) pair. */
export function vllmPairScore(a: string, b: string): number {
  return sigmoid(fakeReward(`${a}\n${b}`));
}

export interface VllmServer extends LocalServer {
  readonly opts: Required<Omit<VllmOptions, 'template'>> & { template?: ChatTemplate };
  /** The parsed bodies sent to `path`. */
  bodies(path: string): Record<string, unknown>[];
}

export async function startVllm(o: VllmOptions = {}): Promise<VllmServer> {
  const opts = {
    served: o.served ?? 'local/rm',
    maxModelLen: o.maxModelLen ?? 2048,
    template: o.template,
    pooler: o.pooler ?? 'classify',
    numLabels: o.numLabels ?? 1,
    legacyErrors: o.legacyErrors ?? false,
  };
  const error = (
    code: number,
    message: string,
    type = code === 404 ? 'NotFoundError' : 'BadRequestError',
    param: string | null = null,
  ): Reply => json(code, opts.legacyErrors ? { object: 'error', message, type, param, code } : { error: { message, type, param, code } });
  const usage = (n: number) => ({ prompt_tokens: n, total_tokens: n, completion_tokens: 0, prompt_tokens_details: null });
  const strings = (v: unknown): string[] | null =>
    typeof v === 'string' ? [v] : Array.isArray(v) && v.every((t) => typeof t === 'string') ? (v as string[]) : null;
  const tooLong = (t: string, what: string): Reply | undefined => {
    const n = tokens(t);
    return n > opts.maxModelLen
      ? error(
          400,
          `This model's maximum context length is ${opts.maxModelLen} tokens. However, you requested ${n} tokens in the input for ${what}. Please reduce the length of the input.`,
        )
      : undefined;
  };

  /** The body, or the error a request that does not validate gets. */
  const bodyOf = (r: Received): { body: Record<string, unknown> } | { reply: Reply } => {
    let b: unknown;
    try {
      b = JSON.parse(r.raw);
    } catch {
      return { reply: error(400, `[{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error'}]`) };
    }
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return { reply: error(400, 'Input should be a valid dictionary') };
    const body = b as Record<string, unknown>;
    if (body.model !== undefined && body.model !== null && body.model !== opts.served)
      return { reply: error(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 'model') };
    return { body };
  };

  /** Texts of `input`, or of one conversation rendered with the template; `add_special_tokens` puts a BOS first. */
  const textsOf = (body: Record<string, unknown>): string[] | Reply => {
    if (body.messages !== undefined) {
      const msgs = body.messages;
      if (!Array.isArray(msgs) || !msgs.every((m) => typeof m?.role === 'string' && typeof m?.content === 'string'))
        return error(400, 'messages: Input should be a valid list of chat messages');
      if (opts.template === undefined) return error(400, 'As of transformers v4.44, default chat template is no longer allowed');
      const rendered = opts.template.render(msgs as { role: string; content: string }[], body.add_generation_prompt === true);
      return [body.add_special_tokens === true ? BOS + rendered : rendered];
    }
    const texts = strings(body.input);
    if (texts === null) return error(400, 'input: Field required, or not a string or list of strings');
    if (texts.length === 0) return error(400, 'input: List should have at least 1 item after validation');
    return body.add_special_tokens === false ? texts : texts.map((t) => BOS + t);
  };

  /** A request's texts, or the reply vLLM gives when its body, texts or lengths are refused (`task` names the endpoint's work). */
  const validTexts = (r: Received, task: string): string[] | Reply => {
    const got = bodyOf(r);
    if ('reply' in got) return got.reply;
    const texts = textsOf(got.body);
    if (!Array.isArray(texts)) return texts;
    for (const t of texts) {
      const long = tooLong(t, task);
      if (long !== undefined) return long;
    }
    return texts;
  };

  const pooling = (r: Received): Reply => {
    const texts = validTexts(r, 'embedding generation');
    if (!Array.isArray(texts)) return texts;
    const data = texts.map((t, index) => {
      if (opts.pooler === 'classify')
        return { index, object: 'pooling', data: Array.from({ length: opts.numLabels }, (_, j) => vllmLogit(t, j)) };
      const words = t.split(/\s+/).filter((w) => w !== '');
      // one row per token; the last token's row is the whole text's reward
      const rows = words.map((_, k) => [k === words.length - 1 ? vllmLogit(t) : vllmLogit(words.slice(0, k + 1).join(' ') + '…')]);
      return { index, object: 'pooling', data: rows };
    });
    const n = texts.reduce((a, t) => a + tokens(t), 0);
    return json(200, { id: 'pool-local', object: 'list', created: 0, model: opts.served, data, usage: usage(n) });
  };

  const classify = (r: Received): Reply => {
    const texts = validTexts(r, 'classification');
    if (!Array.isArray(texts)) return texts;
    const data = texts.map((t, index) => {
      const probs =
        opts.numLabels === 1 ? [sigmoid(vllmLogit(t))] : softmax(Array.from({ length: opts.numLabels }, (_, j) => vllmLogit(t, j)));
      const best = probs.indexOf(Math.max(...probs));
      return { index, label: `LABEL_${best}`, probs, num_classes: probs.length };
    });
    return json(200, { id: 'classify-local', object: 'list', created: 0, model: opts.served, data, usage: usage(0) });
  };

  const score = (r: Received): Reply => {
    const got = bodyOf(r);
    if ('reply' in got) return got.reply;
    const body = got.body;
    const t1 = strings(body.text_1);
    const t2 = strings(body.text_2);
    if (t1 === null || t2 === null) return error(400, 'text_1, text_2: Field required (a string or a list of strings)');
    if (t1.length > 1 && t1.length !== t2.length) return error(400, 'Input lengths must be either 1:1, 1:N or N:N');
    if (t1.length === 0) return error(400, 'At least one text element must be given');
    if (t2.length === 0) return error(400, 'At least one text_pair element must be given');
    const left = t1.length === 1 ? t2.map(() => t1[0]!) : t1;
    for (let i = 0; i < t2.length; i++) {
      const long = tooLong(`${left[i]} ${t2[i]}`, 'score');
      if (long !== undefined) return long;
    }
    const data = t2.map((b, index) => ({ index, object: 'score', score: vllmPairScore(left[index]!, b) }));
    return json(200, { id: 'score-local', object: 'list', created: 0, model: opts.served, data, usage: usage(0) });
  };

  const server = await startLocal((r) => {
    if (r.method === 'GET' && r.path === '/v1/models')
      return json(200, {
        object: 'list',
        data: [
          {
            id: opts.served,
            object: 'model',
            created: 0,
            owned_by: 'vllm',
            root: opts.served,
            parent: null,
            max_model_len: opts.maxModelLen,
            permission: [],
          },
        ],
      });
    if (r.method === 'POST' && r.path === '/pooling') return pooling(r);
    if (r.method === 'POST' && r.path === '/classify') return classify(r);
    if (r.method === 'POST' && (r.path === '/score' || r.path === '/v1/score')) return score(r);
    return json(404, { detail: 'Not Found' });
  });
  return Object.assign(server, {
    opts,
    bodies: (path: string) => server.received.filter((r) => r.path === path).map((r) => JSON.parse(r.raw) as Record<string, unknown>),
  });
}
