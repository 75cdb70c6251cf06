/**
 * The `http` backend's config (config.ts calls it for `"backend": "http"`), and the client TLS every
 * backend that calls a server shares. Every key is validated once, at start: a bad value is
 * RR_INVALID_CONFIG naming its field.
 *
 *   {"backend": "http", "protocol": "openrlhf" | "tei" | "vllm-pooling" | "vllm-classify" | "vllm-score",
 *    "url": "http://host:port/path", "modelVersion": "...",
 *    "query"?: "chat-template" | "passthrough" | "separator" | "pair" | "messages",
 *    "chatTemplate"?: {"tokenizerConfig": "path/to/tokenizer_config.json"}, "separator"?: "\n",
 *    "model"?: "<served model name>" (vLLM), "label"?: 0 | "LABEL_0", "maxBatch"?: n}
 *   "tls"?: {"caFile"?, "certFile"?, "keyFile"?}   (any backend; an https URL's client certificate)
 *
 * Defaults, per protocol (docs/scorers.md says why):
 *
 * | protocol      | query modes (default first)                         | maxBatch |
 * |---------------|-----------------------------------------------------|---------:|
 * | openrlhf      | separator, chat-template, passthrough               | 64       |
 * | tei           | pair, chat-template, passthrough, separator         | 32       |
 * | vllm-pooling  | messages, chat-template, passthrough, separator     | 1 (messages), else 64 |
 * | vllm-classify | separator, chat-template, passthrough               | 64       |
 * | vllm-score    | pair                                                | 64       |
 *
 * `chatTemplate` given without `query` makes the query mode `chat-template`; `chat-template`
 * without `chatTemplate` is refused.
 */
import { RouterError } from '../core/errors.ts';
import type { TlsFiles } from './post.ts';
import type { QueryMode } from './query.ts';
import { TEI_MAX_CLIENT_BATCH } from './tei.ts';

export const httpProtocols = ['openrlhf', 'tei', 'vllm-pooling', 'vllm-classify', 'vllm-score'] as const;
export type HttpProtocol = (typeof httpProtocols)[number];

export interface HttpScorerConfig {
  backend: 'http';
  protocol: HttpProtocol;
  url: string;
  modelVersion: string;
  /** Most texts per request (the server may say fewer: TEI's /info). */
  maxBatch: number;
  /** How a (prompt, response) becomes what the server scores (query.ts). */
  query: QueryMode;
  /** Between prompt and response in `separator` mode. */
  separator: string;
  /** The RM's tokenizer_config.json, for `chat-template` mode. */
  chatTemplate?: { tokenizerConfig: string };
  /** vLLM's `model` field (the served model name). */
  model?: string;
  /** Which output is the reward: an index (vLLM probs / pooled vector, TEI through id2label) or a TEI label name. */
  label: number | string;
}

/** The query modes each protocol accepts, its default first. */
const QUERY_MODES: Record<HttpProtocol, readonly QueryMode[]> = {
  openrlhf: ['separator', 'chat-template', 'passthrough'],
  tei: ['pair', 'chat-template', 'passthrough', 'separator'],
  'vllm-pooling': ['messages', 'chat-template', 'passthrough', 'separator'],
  'vllm-classify': ['separator', 'chat-template', 'passthrough'],
  'vllm-score': ['pair'],
};

/** The default `maxBatch`: TEI's own default limit; one conversation per /pooling request with messages; else 64. */
export function defaultMaxBatch(protocol: HttpProtocol, query: QueryMode): number {
  if (protocol === 'tei') return TEI_MAX_CLIENT_BATCH;
  if (query === 'messages') return 1;
  return 64;
}

function fail(field: string, message: string): never {
  throw new RouterError('RR_INVALID_CONFIG', `${field}: ${message}`, { field });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `tls`: an object of file paths (read when the backend is made, not here). */
export function parseTls(raw: unknown, field: string): TlsFiles | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) fail(field, 'must be an object {caFile?, certFile?, keyFile?}');
  const out: TlsFiles = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'caFile' && k !== 'certFile' && k !== 'keyFile') fail(`${field}.${k}`, 'not a tls option (caFile, certFile, keyFile)');
    if (typeof v !== 'string' || v === '') fail(`${field}.${k}`, `must be a file path, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  if ((out.certFile === undefined) !== (out.keyFile === undefined)) fail(`${field}.certFile`, 'certFile and keyFile go together');
  return out;
}

/** The http-specific keys of a `"backend": "http"` entry (`field` names the entry, e.g. `scorers["rm"]`). */
export function parseHttpConfig(o: Record<string, unknown>, field: string): HttpScorerConfig {
  const protocol = o.protocol as HttpProtocol;
  if (!httpProtocols.includes(protocol))
    fail(`${field}.protocol`, `must be one of ${httpProtocols.join(', ')}, got ${JSON.stringify(o.protocol)}`);
  const url = o.url;
  if (typeof url !== 'string' || url === '') fail(`${field}.url`, `must be a non-empty string, got ${JSON.stringify(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(`${field}.url`, `not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(`${field}.url`, `must be http or https: ${url}`);
  if (o.tls !== undefined && parsed.protocol !== 'https:') fail(`${field}.tls`, `client TLS needs an https url, got ${url}`);
  const modelVersion = o.modelVersion ?? 'unknown';
  if (typeof modelVersion !== 'string' || modelVersion === '')
    fail(`${field}.modelVersion`, `must be a non-empty string, got ${JSON.stringify(modelVersion)}`);

  let chatTemplate: HttpScorerConfig['chatTemplate'];
  if (o.chatTemplate !== undefined) {
    const c = o.chatTemplate;
    if (!isObject(c) || typeof c.tokenizerConfig !== 'string' || c.tokenizerConfig === '')
      fail(`${field}.chatTemplate.tokenizerConfig`, 'chatTemplate must be {"tokenizerConfig": "path/to/tokenizer_config.json"}');
    for (const k of Object.keys(c))
      if (k !== 'tokenizerConfig') fail(`${field}.chatTemplate.${k}`, 'not a chatTemplate option (tokenizerConfig)');
    chatTemplate = { tokenizerConfig: c.tokenizerConfig };
  }
  const modes = QUERY_MODES[protocol];
  const query = (o.query ?? (chatTemplate !== undefined && modes.includes('chat-template') ? 'chat-template' : modes[0])) as QueryMode;
  if (!modes.includes(query)) fail(`${field}.query`, `${protocol} takes ${modes.join(', ')}, got ${JSON.stringify(o.query)}`);
  if (query === 'chat-template' && chatTemplate === undefined)
    fail(`${field}.chatTemplate`, 'query "chat-template" needs chatTemplate: {"tokenizerConfig": "path/to/tokenizer_config.json"}');
  if (chatTemplate !== undefined && query !== 'chat-template')
    fail(`${field}.chatTemplate`, `is used only by query "chat-template" (query is ${JSON.stringify(query)})`);

  const separator = o.separator ?? '\n';
  if (typeof separator !== 'string') fail(`${field}.separator`, `must be a string, got ${JSON.stringify(separator)}`);
  const maxBatch = o.maxBatch ?? defaultMaxBatch(protocol, query);
  if (typeof maxBatch !== 'number' || !Number.isInteger(maxBatch) || maxBatch < 1)
    fail(`${field}.maxBatch`, `must be an integer ≥ 1, got ${JSON.stringify(maxBatch)}`);
  if (query === 'messages' && maxBatch !== 1) fail(`${field}.maxBatch`, 'vllm-pooling with messages sends one conversation per request: 1');

  const model = o.model;
  if (model !== undefined && (typeof model !== 'string' || model === ''))
    fail(`${field}.model`, `must be a non-empty string, got ${JSON.stringify(model)}`);
  if (model !== undefined && !protocol.startsWith('vllm-')) fail(`${field}.model`, `is vLLM's field; ${protocol} does not send it`);

  const label = o.label ?? 0;
  const indexOk = typeof label === 'number' && Number.isInteger(label) && label >= 0;
  if (protocol === 'tei' ? !(indexOk || (typeof label === 'string' && label !== '')) : !indexOk)
    fail(`${field}.label`, `must be ${protocol === 'tei' ? 'a label name or ' : ''}an index ≥ 0, got ${JSON.stringify(label)}`);
  if (label !== 0 && (protocol === 'openrlhf' || protocol === 'vllm-score'))
    fail(`${field}.label`, `${protocol} answers one score per text; there is no label to choose`);

  const out: HttpScorerConfig = {
    backend: 'http',
    protocol,
    url,
    modelVersion,
    maxBatch,
    query,
    separator,
    label: label as number | string,
  };
  if (chatTemplate !== undefined) out.chatTemplate = chatTemplate;
  if (model !== undefined) out.model = model;
  return out;
}
