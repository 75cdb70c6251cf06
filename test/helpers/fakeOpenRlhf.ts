/**
 * A stand-in for OpenRLHF's reward-model server (`openrlhf/cli/serve_rm.py`), reproducing its
 * FastAPI app: one route, `POST /get_reward`; the body read with `request.json()` (not JSON: an
 * unhandled error, 500 "Internal Server Error"); `query` handed to the model as is (missing: 500
 * as well), `prompts` read, `labels` not read; the reply
 * `{"rewards": r, "scores": r, "extra_logs": {"dummy_scores": r}}`. Another path is FastAPI's
 * 404 `{"detail": "Not Found"}`, another method 405. The model's reward of a query is
 * fakeReward(query): a query that differs by one character scores differently, so a test sees
 * whether the text sent is the one the RM was trained on. Not a test file.
 */
import { fakeReward } from './fakeRm.ts';
import { json, startLocal, text, type LocalServer } from './localServer.ts';

export interface OpenRlhfServer extends LocalServer {
  /** The /get_reward bodies, parsed. */
  bodies(): { query?: unknown; prompts?: unknown; labels?: unknown }[];
}

export async function startOpenRlhf(): Promise<OpenRlhfServer> {
  const server = await startLocal((r) => {
    if (r.path !== '/get_reward') return json(404, { detail: 'Not Found' });
    if (r.method !== 'POST') return json(405, { detail: 'Method Not Allowed' });
    let data: { query?: unknown };
    try {
      data = JSON.parse(r.raw) as { query?: unknown };
    } catch {
      return text(500, 'Internal Server Error');
    }
    const queries = data?.query;
    if (!Array.isArray(queries) || !queries.every((q) => typeof q === 'string')) return text(500, 'Internal Server Error');
    const rewards = queries.map((q: string) => fakeReward(q));
    return json(200, { rewards, scores: rewards, extra_logs: { dummy_scores: rewards } });
  });
  return Object.assign(server, {
    bodies: () => server.received.filter((r) => r.path === '/get_reward').map((r) => JSON.parse(r.raw) as { query?: unknown }),
  });
}
