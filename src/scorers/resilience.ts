/**
 * What every remote RM call goes through: the RM's circuit breaker, a bound on concurrent calls, a
 * timeout per attempt, and retries with capped exponential backoff and jitter. The jitter comes from
 * the seeded counter-based RNG (never Math.random), keyed by the call's key and attempt, so a run's
 * retry schedule is reproducible; the timers are injected so tests can drive them. A server that
 * says when to come back (`Retry-After` on a 429 or 503, read by post.ts) is waited for at least
 * that long, up to `retryAfterCapMs`. A server that refuses a request for its size (HTTP 413, or a
 * 422 saying so) is not a failing server: that answer does not count against its breaker.
 */
import type { Clock } from '../bus/types.ts';
import { CounterRng } from '../core/rng.ts';
import { CircuitBreaker } from './breaker.ts';
import { Semaphore } from './semaphore.ts';
import type { PairFailure } from './types.ts';

/** A failed call: retriable (timeout, connection refused, 5xx, 429) or not (garbage, 4xx). */
export class RmCallError extends Error {
  /** The HTTP status the server answered, when it answered one. */
  readonly status?: number;
  /** How long the server asked to wait before the next attempt (its `Retry-After`), in ms. */
  readonly retryAfterMs?: number;
  constructor(
    readonly code: PairFailure['code'],
    message: string,
    readonly retriable: boolean,
    extra: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'RmCallError';
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }
}

/**
 * Whether the server refused the request for its size: HTTP 413 (TEI's answer to a batch above its
 * `--max-client-batch-size`, and to a body above its payload limit), or a 422 whose message says
 * so. The caller can split the batch and try again; the server itself is fine.
 */
export function isSizeRefusal(e: unknown): e is RmCallError {
  if (!(e instanceof RmCallError)) return false;
  if (e.status === 413) return true;
  return e.status === 422 && /batch size|batch_size|too (large|many|long)|maximum allowed|payload/i.test(e.message);
}

/** The largest batch a size refusal names (TEI: "batch size 64 > maximum allowed batch size 32"), if it names one. */
export function statedBatchLimit(e: RmCallError): number | undefined {
  const m = /maximum allowed batch size (\d+)/i.exec(e.message);
  const n = m === null ? NaN : Number(m[1]);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

export interface Timers {
  sleep(ms: number): Promise<void>;
  /** An AbortSignal that fires after `ms`; `cancel` clears the timer. */
  deadline(ms: number): { signal: AbortSignal; cancel(): void };
}

export const realTimers: Timers = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  deadline(ms) {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(new RmCallError('RM_UNAVAILABLE', `timed out after ${ms} ms`, true)), ms);
    return { signal: ac.signal, cancel: () => clearTimeout(t) };
  },
};

export interface ResilienceOptions {
  /** Most calls in flight to this RM (per scorer process). */
  concurrency: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first (0 = no retry). */
  retries: number;
  /** Backoff before retry n (1-based): min(capMs, baseMs·2^(n−1)) · (0.5 + 0.5·u), u seeded. */
  backoffBaseMs: number;
  backoffCapMs: number;
  breakerFailures: number;
  breakerOpenMs: number;
  /** Most a server's `Retry-After` may make a retry wait (default 30,000). */
  retryAfterCapMs?: number;
}

export const defaultResilience: ResilienceOptions = {
  concurrency: 8,
  timeoutMs: 30_000,
  retries: 3,
  backoffBaseMs: 200,
  backoffCapMs: 5_000,
  breakerFailures: 5,
  breakerOpenMs: 10_000,
  retryAfterCapMs: 30_000,
};

/** The retry wait when `retryAfterCapMs` is not given. */
export const RETRY_AFTER_CAP_MS = 30_000;

export class Resilient {
  readonly breaker: CircuitBreaker;
  readonly #sem: Semaphore;
  readonly #rng: CounterRng;
  readonly stats = {
    calls: 0,
    attempts: 0,
    retries: 0,
    timeouts: 0,
    failures: 0,
    shortCircuited: 0,
    maxConcurrent: 0,
    /** Retries that waited for a server's Retry-After rather than the backoff alone. */
    retryAfter: 0,
  };

  constructor(
    readonly o: ResilienceOptions,
    readonly clock: Clock,
    seed: number,
    readonly rm: string,
    readonly timers: Timers = realTimers,
  ) {
    this.breaker = new CircuitBreaker({ failureThreshold: o.breakerFailures, openMs: o.breakerOpenMs, clock });
    this.#sem = new Semaphore(o.concurrency);
    this.#rng = new CounterRng(seed, `retry:${rm}`);
  }

  /** The jittered backoff before retry `n` (1-based) of the call keyed `key`. */
  backoff(key: string, n: number): number {
    const u = this.#rng.pairUniform(key, n, 0x7e7);
    return Math.min(this.o.backoffCapMs, this.o.backoffBaseMs * 2 ** (n - 1)) * (0.5 + 0.5 * u);
  }

  /** The wait before retry `n` after `err`: the backoff, or the server's Retry-After when longer (up to `retryAfterCapMs`). */
  retryWait(key: string, n: number, err: RmCallError): number {
    const b = this.backoff(key, n);
    if (err.retryAfterMs === undefined || err.retryAfterMs <= b) return b;
    return Math.min(this.o.retryAfterCapMs ?? RETRY_AFTER_CAP_MS, err.retryAfterMs);
  }

  /** Runs `attempt` under the breaker, the concurrency bound, a timeout and retries; throws RmCallError. */
  async call<T>(key: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.stats.calls++;
    for (let n = 0; ; n++) {
      if (!this.breaker.tryAcquire()) {
        this.stats.shortCircuited++;
        throw new RmCallError('RM_UNAVAILABLE', 'circuit breaker open', false);
      }
      let err: RmCallError;
      try {
        const value = await this.#sem.run(async () => {
          this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.#sem.active);
          this.stats.attempts++;
          const d = this.timers.deadline(this.o.timeoutMs);
          try {
            return await attempt(d.signal);
          } finally {
            d.cancel();
          }
        });
        this.breaker.success();
        return value;
      } catch (e) {
        err = asCallError(e);
        if (/timed out/.test(err.message)) this.stats.timeouts++;
        // The server answered, only not to a request this large: alive, as far as the breaker goes.
        if (isSizeRefusal(err)) this.breaker.success();
        else this.breaker.failure();
      }
      if (!err.retriable || n >= this.o.retries) {
        this.stats.failures++;
        throw new RmCallError(err.code, n > 0 ? `${err.message} (after ${n + 1} attempts)` : err.message, err.retriable, {
          status: err.status,
          retryAfterMs: err.retryAfterMs,
        });
      }
      this.stats.retries++;
      const wait = this.retryWait(key, n + 1, err);
      if (err.retryAfterMs !== undefined && wait > this.backoff(key, n + 1)) this.stats.retryAfter++;
      await this.timers.sleep(wait);
    }
  }
}

/** Any thrown thing as an RmCallError: aborts and network errors are retriable RM_UNAVAILABLE. */
export function asCallError(e: unknown): RmCallError {
  if (e instanceof RmCallError) return e;
  const err = e as Error & { cause?: unknown; code?: string };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    const reason = err.cause instanceof RmCallError ? err.cause : null;
    return reason ?? new RmCallError('RM_UNAVAILABLE', 'timed out', true);
  }
  const cause = err?.cause as { code?: string; message?: string } | undefined;
  return new RmCallError(
    'RM_UNAVAILABLE',
    `request failed: ${err?.code ?? cause?.code ?? cause?.message ?? err?.message ?? String(e)}`,
    true,
  );
}
