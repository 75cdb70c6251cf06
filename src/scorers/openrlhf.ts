/**
 * OpenRLHF's remote reward model (`--remote_rm_url`), as its server `openrlhf/cli/serve_rm.py`
 * reads it and its client (`openrlhf/utils/remote_rm_utils.py`) sends it:
 *
 *   POST <url>  {"query": [q0, q1, ...], "prompts": [p0, p1, ...], "labels": [l0, l1, ...]}
 *   200         {"rewards": [r0, r1, ...], "scores": [...], "extra_logs": {...}}
 *
 * `query` is the whole text the RM scores (query.ts: chat-template in its `trainer` shape, the
 * templated prompt, the response and the EOS token; passthrough; or separator),
 * `prompts` its prompt part, `labels` the requests' labels, sent only when every item has one.
 * `rewards` must be one finite number per query, in order; the other keys are not read.
 */
import type { JsonPoster } from './post.ts';
import { checkRewards } from './pointwise.ts';
import { promptOf, queryText, type ProtocolCall, type QueryOptions } from './query.ts';

export function openrlhfCall(poster: JsonPoster, query: QueryOptions): ProtocolCall {
  const q: QueryOptions = { ...query, templated: 'trainer' };
  return async (items, signal, parents) => {
    const body: { query: string[]; prompts: string[]; labels?: string[] } = {
      query: items.map((t) => queryText(t, q)),
      prompts: items.map((t) => promptOf(t, q)),
    };
    if (items.every((t) => t.label !== undefined)) body.labels = items.map((t) => t.label!);
    const reply = (await poster.post(body, signal, { parents })) as { rewards?: unknown } | null;
    return checkRewards(reply?.rewards, items.length, 'openrlhf reply "rewards"');
  };
}
