/**
 * The judge's part of a `scorers` entry (docs/scorers.md#judge-a-pairwise-llm-judge), validated once
 * at start; a bad value is RR_INVALID_CONFIG naming its field. Never a key: loop.json names where the
 * key is (`apiKeyEnv`, `apiKeyFile`), and the backend reads it when it is built (judge.ts), so only the
 * judge's scorer process needs it.
 *
 *   {"backend": "judge", "model": "...",
 *    "url": "https://host/full/path/chat/completions?api-version=..."      (used as is)
 *      or "baseUrl": "https://host/v1"                                      (POST <baseUrl>/chat/completions)
 *      or "baseUrl": "http://host:8000"  (no /v1: the old form, POST <baseUrl>/v1/chat/completions),
 *    "apiKeyEnv": "OPENAI_API_KEY" | "apiKeyFile": "/var/run/secrets/judge/key",
 *    "apiKeyHeader": "authorization" (sent as `Bearer <key>`) | any other header name (the key as is, e.g. Azure's api-key),
 *    "headers": {"name": "value"}, "tokenParam": "max_completion_tokens" | "max_tokens", "maxTokens": 512,
 *    "temperature": 0 | null (not sent),
 *    "order": "both" | "seeded"}
 */
import { RouterError } from '../core/errors.ts';

export const tokenParams = ['max_completion_tokens', 'max_tokens'] as const;
export type TokenParam = (typeof tokenParams)[number];

export interface JudgeConfig {
  /** Where every chat request is POSTed: `url` as given, or built from `baseUrl` (judgeEndpoint). */
  endpoint: string;
  model: string;
  order: 'both' | 'seeded';
  /** The name of the token-limit parameter in the request body; its value is `maxTokens`. */
  tokenParam: TokenParam;
  maxTokens: number;
  /** Sampling temperature sent with every request; null leaves it out (reasoning models accept only their default). */
  temperature: number | null;
  /** The environment variable that holds the API key (read when the backend is built). */
  apiKeyEnv?: string;
  /** The file that holds the API key (trimmed; read when the backend is built). */
  apiKeyFile?: string;
  /** The header that carries the key: `authorization` (lower case) sends `Bearer <key>`, any other sends the key as is. */
  apiKeyHeader: string;
  /** Extra headers sent with every request (never a credential: those come from apiKeyEnv / apiKeyFile). */
  headers: Record<string, string>;
}

/** Defaults: the current OpenAI name of the token limit, and the header OpenAI-compatible servers read a key from. */
export const judgeDefaults = {
  tokenParam: 'max_completion_tokens' as TokenParam,
  maxTokens: 512,
  temperature: 0,
  apiKeyHeader: 'authorization',
};

/** Header names whose value is a credential: refused in `headers` (the key goes through apiKeyEnv / apiKeyFile). */
const credentialHeaders = ['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'cookie'];
/** Query parameters that carry a credential: refused in `url` / `baseUrl`. */
const credentialParam = /^(key|api[-_]?key|access[-_]?token|token|sig|signature)$/i;
/** RFC 9110 token: what a header name may be. */
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function fail(field: string, message: string): never {
  throw new RouterError('RR_INVALID_CONFIG', `${field}: ${message}`, { field });
}

/**
 * The endpoint of a `baseUrl`: the OpenAI SDK's convention when it ends in `/v1` (`<baseUrl>/chat/completions`),
 * else the old form of this project, a server root (`<baseUrl>/v1/chat/completions`).
 */
export function judgeEndpoint(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return /\/v1$/.test(new URL(base).pathname) ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

/** An http(s) URL with no credential in it (user info, a key in the query). */
function checkedUrl(v: unknown, field: string): URL {
  if (typeof v !== 'string' || v === '') fail(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    fail(field, `not a URL: ${v}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(field, `must be an http: or https: URL, got ${u.protocol}`);
  if (u.username !== '' || u.password !== '')
    fail(field, 'must not hold credentials (user:password@); give the key by apiKeyEnv or apiKeyFile');
  for (const k of u.searchParams.keys())
    if (credentialParam.test(k)) fail(field, `must not carry a credential in its query (${k}=…); give the key by apiKeyEnv or apiKeyFile`);
  return u;
}

/** The judge fields of `o` (a `scorers` entry whose backend is judge); `field` is the entry's name, e.g. `scorers["gpt-4.1 (judge)"]`. */
export function parseJudgeConfig(o: Record<string, unknown>, field: string): JudgeConfig {
  const f = (k: string): string => `${field}.${k}`;
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') fail(f(k), `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  // The value is never echoed: it would be a key written where it should not be.
  if (o.apiKey !== undefined)
    fail(
      f('apiKey'),
      'an API key is never written in loop.json; name the environment variable (apiKeyEnv) or the file (apiKeyFile) that holds it',
    );

  if (o.url !== undefined && o.baseUrl !== undefined) fail(field, 'give either url (the full endpoint) or baseUrl, not both');
  let endpoint: string;
  if (o.url !== undefined) endpoint = checkedUrl(o.url, f('url')).href;
  else if (o.baseUrl !== undefined) {
    const u = checkedUrl(o.baseUrl, f('baseUrl'));
    if (u.search !== '' || u.hash !== '') fail(f('baseUrl'), 'must have no query or fragment; give the full endpoint as url');
    endpoint = judgeEndpoint(o.baseUrl as string);
  } else fail(f('url'), 'the judge needs url (the full chat-completions endpoint) or baseUrl (e.g. https://host/v1)');

  const model = str('model');
  if (model === undefined) fail(f('model'), 'must be a non-empty string, got undefined');
  const order = o.order ?? 'both';
  if (order !== 'both' && order !== 'seeded') fail(f('order'), `must be one of both, seeded, got ${JSON.stringify(order)}`);
  const tokenParam = o.tokenParam ?? judgeDefaults.tokenParam;
  if (!(tokenParams as readonly unknown[]).includes(tokenParam))
    fail(f('tokenParam'), `must be one of ${tokenParams.join(', ')}, got ${JSON.stringify(tokenParam)}`);
  const maxTokens = o.maxTokens ?? judgeDefaults.maxTokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
    fail(f('maxTokens'), `must be an integer ≥ 1, got ${JSON.stringify(maxTokens)}`);
  const temperature = o.temperature === undefined ? judgeDefaults.temperature : o.temperature;
  if (temperature !== null && (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)))
    fail(f('temperature'), `must be a number in [0, 2] or null (not sent), got ${JSON.stringify(temperature)}`);

  const apiKeyEnv = str('apiKeyEnv');
  const apiKeyFile = str('apiKeyFile');
  if (apiKeyEnv !== undefined && apiKeyFile !== undefined) fail(field, 'give either apiKeyEnv or apiKeyFile, not both');
  if (apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv))
    fail(f('apiKeyEnv'), `must be the name of an environment variable (letters, digits, _), got ${JSON.stringify(apiKeyEnv)}`);
  const apiKeyHeader = (str('apiKeyHeader') ?? judgeDefaults.apiKeyHeader).toLowerCase();
  if (!headerName.test(apiKeyHeader)) fail(f('apiKeyHeader'), `not a header name: ${JSON.stringify(o.apiKeyHeader)}`);
  if (o.apiKeyHeader !== undefined && apiKeyEnv === undefined && apiKeyFile === undefined)
    fail(f('apiKeyHeader'), 'names the header of a key, but no key is given (apiKeyEnv or apiKeyFile)');

  const headers: Record<string, string> = {};
  if (o.headers !== undefined) {
    if (typeof o.headers !== 'object' || o.headers === null || Array.isArray(o.headers))
      fail(f('headers'), 'must be an object of header name → string value');
    for (const [name, value] of Object.entries(o.headers)) {
      const hf = `${f('headers')}[${JSON.stringify(name)}]`;
      if (!headerName.test(name)) fail(hf, 'not a header name');
      const lower = name.toLowerCase();
      if (credentialHeaders.includes(lower) || lower === apiKeyHeader)
        fail(hf, 'carries a credential; name the header in apiKeyHeader and give the key by apiKeyEnv or apiKeyFile');
      if (lower === 'content-type' || lower === 'content-length') fail(hf, 'is set by the client');
      if (typeof value !== 'string' || /[\r\n\0]/.test(value)) fail(hf, 'must be a string on one line');
      headers[lower] = value;
    }
  }
  return {
    endpoint,
    model,
    order,
    tokenParam: tokenParam as TokenParam,
    maxTokens,
    temperature,
    ...(apiKeyEnv !== undefined ? { apiKeyEnv } : {}),
    ...(apiKeyFile !== undefined ? { apiKeyFile } : {}),
    apiKeyHeader,
    headers,
  };
}
