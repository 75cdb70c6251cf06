/**
 * Which backend scores each RM, from the loop config's `scorers` (RM id → one of the objects below);
 * an RM without an entry keeps the simulated backend. Validated once: a bad value is
 * RR_INVALID_CONFIG naming its field (`scorers["gpt-4.1 (judge)"].url`).
 *
 *   {"backend": "sim"}
 *   {"backend": "http", "protocol": "openrlhf" | "tei" | "vllm-pooling" | "vllm-classify" | "vllm-score", "url": "...", ...} (httpConfig.ts)
 *   {"backend": "judge", "url": "https://host/.../chat/completions" | "baseUrl": "https://host/v1", "model": "...", ...}  (judgeConfig.ts)
 *   {"backend": "tfjs", "modelDir": "path/to/model", "tfBackend": "auto" | "wasm" | "cpu"}
 * and for every backend but sim, optionally: maxPairs, maxWaitMs (micro-batching), maxBatch (texts per
 * HTTP call), concurrency, timeoutMs, retries, backoffBaseMs, backoffCapMs, retryAfterCapMs, breakerFailures,
 * breakerOpenMs, tls ({caFile, certFile, keyFile}: an https server's client certificate).
 */
import { RouterError } from '../core/errors.ts';
import { parseHttpConfig, parseTls, type HttpScorerConfig } from './httpConfig.ts';
import { parseJudgeConfig, type JudgeConfig } from './judgeConfig.ts';
import type { TlsFiles } from './post.ts';
import { defaultResilience, type ResilienceOptions } from './resilience.ts';

export interface CommonScorerConfig extends ResilienceOptions {
  maxPairs: number;
  maxWaitMs: number;
  /** Client TLS files for an https server (read when the backend is made). */
  tls?: TlsFiles;
}

export type ScorerConfig =
  | { backend: 'sim' }
  | (HttpScorerConfig & CommonScorerConfig)
  | ({ backend: 'judge' } & JudgeConfig & CommonScorerConfig)
  | ({ backend: 'tfjs'; modelDir: string; tfBackend: 'auto' | 'wasm' | 'cpu' } & CommonScorerConfig);

export const microBatchDefaults = { maxPairs: 256, maxWaitMs: 5 };

function fail(field: string, message: string): never {
  throw new RouterError('RR_INVALID_CONFIG', `${field}: ${message}`, { field });
}

export function parseScorerConfig(raw: unknown, field: string): ScorerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(field, 'must be an object with a "backend"');
  const o = raw as Record<string, unknown>;
  const str = (k: string, def?: string): string => {
    const v = o[k] ?? def;
    if (typeof v !== 'string' || v === '') fail(`${field}.${k}`, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const oneOf = <T extends string>(k: string, values: readonly T[], def?: T): T => {
    const v = o[k] ?? def;
    if (!values.includes(v as T)) fail(`${field}.${k}`, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const num = (k: string, def: number, min: number): number => {
    const v = o[k] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
      fail(`${field}.${k}`, `must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const backend = oneOf('backend', ['sim', 'http', 'judge', 'tfjs'] as const);
  if (backend === 'sim') return { backend };
  const d = defaultResilience;
  const common: CommonScorerConfig = {
    maxPairs: num('maxPairs', microBatchDefaults.maxPairs, 1),
    maxWaitMs: num('maxWaitMs', microBatchDefaults.maxWaitMs, 0),
    concurrency: num('concurrency', d.concurrency, 1),
    timeoutMs: num('timeoutMs', d.timeoutMs, 1),
    retries: num('retries', d.retries, 0),
    backoffBaseMs: num('backoffBaseMs', d.backoffBaseMs, 0),
    backoffCapMs: num('backoffCapMs', d.backoffCapMs, 0),
    breakerFailures: num('breakerFailures', d.breakerFailures, 1),
    breakerOpenMs: num('breakerOpenMs', d.breakerOpenMs, 0),
    retryAfterCapMs: num('retryAfterCapMs', d.retryAfterCapMs!, 0),
  };
  const tls = parseTls(o.tls, `${field}.tls`);
  if (tls !== undefined) common.tls = tls;
  if (backend === 'http') return { ...parseHttpConfig(o, field), ...common };
  if (backend === 'judge') {
    return { backend, ...parseJudgeConfig(o, field), ...common };
  }
  return { backend, modelDir: str('modelDir'), tfBackend: oneOf('tfBackend', ['auto', 'wasm', 'cpu'] as const, 'auto'), ...common };
}

/** The `scorers` map of a loop config: every key must be one of the arms. */
export function parseScorers(raw: unknown, arms: readonly string[]): Record<string, ScorerConfig> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('scorers', 'must be an object: RM id → scorer config');
  const out: Record<string, ScorerConfig> = {};
  for (const [rm, cfg] of Object.entries(raw)) {
    if (!arms.includes(rm)) fail(`scorers[${JSON.stringify(rm)}]`, `not one of the arms (${arms.join(', ')})`);
    out[rm] = parseScorerConfig(cfg, `scorers[${JSON.stringify(rm)}]`);
  }
  return out;
}
