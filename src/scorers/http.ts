/**
 * The `http` backend: a pointwise RM behind an inference server, in one of five wire protocols
 * (docs/scorers.md, "http: the wire protocols"; each module names the upstream file it follows):
 *
 *   openrlhf        OpenRLHF's remote RM (`serve_rm.py`, `/get_reward`)          openrlhf.ts
 *   tei             Text Embeddings Inference `/predict`                           tei.ts
 *   vllm-pooling    vLLM `/pooling` (reward models)                                vllm.ts
 *   vllm-classify   vLLM `/classify` (classifiers)                                 vllm.ts
 *   vllm-score      vLLM `/score` (cross-encoders)                                 vllm.ts
 *
 * Each distinct text of a micro-batch (prompt or chat, response, label) is scored once, in requests
 * of at most `maxBatch` texts sent concurrently through the RM's Resilient caller. A request the
 * server refuses for its size (HTTP 413, or a 422 saying so) is split and sent again: into the size
 * the server named when it named one (TEI: "maximum allowed batch size 32", which also lowers the
 * backend's batch size from then on), else in halves, down to single texts; a single text still
 * refused is RM_BAD_RESPONSE. The preflight reads what the server says of itself before the scorer
 * consumes (TEI's `/info`, vLLM's `/v1/models`).
 *
 * Anything else that is not a reward (not JSON, wrong shape, wrong length, a non-finite value) is
 * RM_BAD_RESPONSE and is not retried; a timeout, a refused connection, 5xx and 429 are
 * RM_UNAVAILABLE and are retried (a 429's or 503's Retry-After honoured).
 */
import type { BusRecord } from '../bus/types.ts';
import { RouterError } from '../core/errors.ts';
import { loadChatTemplate } from './chatTemplate.ts';
import { parseHttpConfig, type HttpProtocol, type HttpScorerConfig } from './httpConfig.ts';
import { openrlhfCall } from './openrlhf.ts';
import { JsonPoster, loadTls, type TlsFiles } from './post.ts';
import { pairResults } from './pointwise.ts';
import { plainPrompt, type HttpItem, type ProtocolCall, type QueryMode, type QueryOptions } from './query.ts';
import { isSizeRefusal, Resilient, RmCallError, statedBatchLimit } from './resilience.ts';
import { readTeiInfo, teiCall, type TeiInfo } from './tei.ts';
import type { PairFailure, PairInput, PairResult, RmBackend } from './types.ts';
import { checkVllmModel, vllmClassifyCall, vllmPoolingCall, vllmScoreCall } from './vllm.ts';

export type { HttpProtocol } from './httpConfig.ts';

export interface HttpBackendOptions {
  url: string;
  protocol: HttpProtocol;
  modelVersion: string;
  /** Most texts per request (default per protocol, httpConfig.ts). */
  maxBatch?: number;
  /** How a (prompt, response) is sent (default per protocol, httpConfig.ts). */
  query?: QueryMode;
  /** Between prompt and response in `separator` mode (default "\n"). */
  separator?: string;
  chatTemplate?: HttpScorerConfig['chatTemplate'];
  model?: string;
  label?: number | string;
  headers?: Record<string, string>;
  tls?: TlsFiles;
  /** The config entry, for errors (default `scorers["<rm>"]`). */
  field?: string;
}

/**
 * A pair as the http backend reads it: what a caller may attach besides PairInput's fields, the
 * request's `label` (OpenRLHF's `labels`) and the consumed `record` it came from (its process span
 * parents the RM call's span). Nothing sets either yet: see docs/scorers.md.
 */
export type HttpPairInput = PairInput & { readonly label?: string; readonly record?: BusRecord };

/** The protocol's request for a chunk of items. */
function protocolCall(cfg: HttpScorerConfig, poster: JsonPoster, q: QueryOptions, tei: TeiInfo): ProtocolCall {
  const v = { model: cfg.model, label: typeof cfg.label === 'number' ? cfg.label : 0 };
  switch (cfg.protocol) {
    case 'openrlhf':
      return openrlhfCall(poster, q);
    case 'tei':
      return teiCall(poster, q, cfg.label, tei);
    case 'vllm-pooling':
      return vllmPoolingCall(poster, q, v);
    case 'vllm-classify':
      return vllmClassifyCall(poster, q, v);
    case 'vllm-score':
      return vllmScoreCall(poster, v);
  }
}

/** Socket and TLS errors that no retry mends: a name that does not resolve, a certificate refused. */
function isConfigFault(code: string | undefined): boolean {
  return (
    code !== undefined &&
    /^(ENOTFOUND|EAI_AGAIN|ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/.test(code)
  );
}

export function httpBackend(o: HttpBackendOptions, res: Resilient): RmBackend {
  const field = o.field ?? `scorers[${JSON.stringify(res.rm)}]`;
  const { headers, tls } = o;
  const cfg = parseHttpConfig({ ...o }, field);
  const template =
    cfg.chatTemplate === undefined
      ? undefined
      : loadChatTemplate(cfg.chatTemplate.tokenizerConfig, `${field}.chatTemplate.tokenizerConfig`);
  const q: QueryOptions = { mode: cfg.query, separator: cfg.separator, template };
  const poster = new JsonPoster(cfg.url, res.o.concurrency, headers, {
    tls: loadTls(tls, `${field}.tls`),
    rm: res.rm,
    now: () => res.clock.now(),
  });
  const tei: TeiInfo = {};
  const call = protocolCall(cfg, poster, q, tei);
  const stats = { splits: 0 };
  /** Texts per request: the config's, lowered to what the server says it takes. */
  let limit = cfg.maxBatch;

  async function scorePairs(pairs: readonly PairInput[]): Promise<PairResult[]> {
    const index = new Map<string, number>();
    const items: HttpItem[] = [];
    const records: (BusRecord | undefined)[] = [];
    const itemOf = (p: HttpPairInput, response: string): number => {
      const key = JSON.stringify([plainPrompt(p), p.messages.length > 0 ? p.messages : null, response, p.label ?? null]);
      let i = index.get(key);
      if (i === undefined) {
        i = items.length;
        index.set(key, i);
        const item: HttpItem = { prompt: p.prompt, messages: p.messages, response };
        if (p.label !== undefined) item.label = p.label;
        items.push(item);
        records.push(p.record);
      }
      return i;
    };
    const refs = (pairs as readonly HttpPairInput[]).map((p) => [itemOf(p, p.responseA), itemOf(p, p.responseB)] as const);
    const rewards: (number | PairFailure)[] = new Array(items.length);

    const parentsOf = (ids: readonly number[]): BusRecord[] | undefined => {
      const found = [...new Set(ids.map((i) => records[i]).filter((r): r is BusRecord => r !== undefined))];
      return found.length > 0 ? found : undefined;
    };
    const run = async (ids: number[]): Promise<void> => {
      const chunk = ids.map((i) => items[i]!);
      const first = chunk[0]!;
      try {
        const out = await res.call(`${plainPrompt(first)}\u0000${first.response}\u0000${chunk.length}`, (signal) =>
          call(chunk, signal, parentsOf(ids)),
        );
        ids.forEach((i, j) => {
          rewards[i] = out[j]!;
        });
      } catch (e) {
        if (isSizeRefusal(e) && ids.length > 1) {
          stats.splits++;
          const stated = statedBatchLimit(e);
          if (stated !== undefined && stated < limit) limit = stated;
          await Promise.all(chunksOf(ids, stated !== undefined && stated < ids.length ? stated : Math.ceil(ids.length / 2)).map(run));
          return;
        }
        const err = e instanceof RmCallError ? e : new RmCallError('RM_UNAVAILABLE', String(e), false);
        for (const i of ids) rewards[i] = { code: err.code, message: err.message };
      }
    };
    await Promise.all(
      chunksOf(
        items.map((_, i) => i),
        limit,
      ).map(run),
    );
    return pairResults(refs, rewards);
  }

  /**
   * Asks the server about itself, once, before the scorer consumes. Fatal (RR_RM): a refused key
   * (401, 403), a host that does not resolve, a TLS failure, a TEI serving an embedding model, a vLLM
   * not serving the configured `model`. Let through: a server that is down or slow (the breaker and
   * retries deal with it), or one without the route (404).
   */
  async function preflight(): Promise<void> {
    const d = res.timers.deadline(res.o.timeoutMs);
    try {
      if (cfg.protocol === 'tei') {
        const info = await readTeiInfo(poster, d.signal, field);
        if (info !== undefined) Object.assign(tei, info);
        if (info?.maxClientBatchSize !== undefined && info.maxClientBatchSize < limit) limit = info.maxClientBatchSize;
      } else if (cfg.protocol !== 'openrlhf') {
        await checkVllmModel(poster, cfg.model, d.signal, field);
      }
    } catch (e) {
      if (e instanceof RouterError) throw e;
      const status = e instanceof RmCallError ? e.status : undefined;
      if (status === 401 || status === 403)
        throw new RouterError(
          'RR_RM',
          `${field}: ${poster.url.origin} refused the scorer (HTTP ${status}): check its key or client certificate`,
          {
            field,
            cause: e,
          },
        );
      const err = e as { code?: string; cause?: { code?: string } };
      const code = err.code ?? err.cause?.code;
      if (isConfigFault(code))
        throw new RouterError('RR_RM', `${field}: cannot reach ${poster.url.origin} (${code}): check its url and tls`, { field, cause: e });
    } finally {
      d.cancel();
    }
  }

  return {
    kind: 'http',
    modelVersion: cfg.modelVersion,
    scorePairs,
    ...(cfg.protocol === 'openrlhf' ? {} : { preflight }),
    stats: () => ({ ...res.stats, ...stats, maxBatch: limit, breakerOpen: res.breaker.state === 'open' ? 1 : 0 }),
    async close() {
      poster.close();
    },
  };
}

function chunksOf<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
