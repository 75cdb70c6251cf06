/**
 * The `http` backend: a pointwise RM behind an inference server, one of two wire protocols.
 *
 * openrlhf (OpenRLHF's remote reward model, `--remote_rm_url`):
 *   POST <url>   {"query": ["<prompt><sep><response>", ...], "prompts": ["<prompt>", ...]}
 *   200          {"rewards": [r0, r1, ...]}          (one finite number per query, same order;
 *                                                     other keys such as "scores" are ignored)
 * tei (Text Embeddings Inference serving a sequence-classification reward model, /predict):
 *   POST <url>   {"inputs": [["<prompt>", "<response>"], ...], "raw_scores": true}
 *   200          [[{"score": r0, "label": "LABEL_0"}], [{"score": r1, ...}], ...]
 *                                                    (the first entry's score of each input)
 * Anything else (not JSON, wrong shape, wrong length, a non-finite reward) is RM_BAD_RESPONSE and is
 * not retried; a timeout, a refused connection, 5xx and 429 are RM_UNAVAILABLE and are retried.
 */
import { checkRewards, scorePointwise, type RewardCall, type TextItem } from './pointwise.ts';
import { JsonPoster } from './post.ts';
import type { Resilient } from './resilience.ts';
import type { PairInput, PairResult, RmBackend } from './types.ts';

export type HttpProtocol = 'openrlhf' | 'tei';

export interface HttpBackendOptions {
  url: string;
  protocol: HttpProtocol;
  modelVersion: string;
  /** Most texts per request. */
  maxBatch: number;
  /** Between prompt and response in an OpenRLHF query (the server's own chat template is not known here). */
  separator: string;
  headers?: Record<string, string>;
}

export function rewardCall(o: HttpBackendOptions, poster: JsonPoster): RewardCall {
  if (o.protocol === 'openrlhf') {
    return async (items: readonly TextItem[], signal) => {
      const body = { query: items.map((t) => t.prompt + o.separator + t.response), prompts: items.map((t) => t.prompt) };
      const reply = (await poster.post(body, signal)) as { rewards?: unknown } | null;
      return checkRewards(reply?.rewards, items.length, 'openrlhf reply "rewards"');
    };
  }
  return async (items, signal) => {
    const reply = await poster.post({ inputs: items.map((t) => [t.prompt, t.response]), raw_scores: true }, signal);
    const scores = Array.isArray(reply)
      ? reply.map((r) => (Array.isArray(r) ? (r[0] as { score?: unknown } | undefined)?.score : undefined))
      : reply;
    return checkRewards(scores, items.length, 'tei /predict reply');
  };
}

export function httpBackend(o: HttpBackendOptions, res: Resilient): RmBackend {
  const poster = new JsonPoster(o.url, res.o.concurrency, o.headers);
  const call = rewardCall(o, poster);
  return {
    kind: 'http',
    modelVersion: o.modelVersion,
    scorePairs: (pairs: readonly PairInput[]): Promise<PairResult[]> => scorePointwise(pairs, call, res, o.maxBatch),
    stats: () => ({ ...res.stats, breakerOpen: res.breaker.state === 'open' ? 1 : 0 }),
    async close() {
      poster.close();
    },
  };
}
