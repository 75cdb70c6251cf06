/**
 * What every remote RM call goes through: the RM's circuit breaker, a bound on concurrent calls, a
 * timeout per attempt, and retries with capped exponential backoff and jitter. The jitter comes from
 * the seeded counter-based RNG (never Math.random), keyed by the call's key and attempt, so a run's
 * retry schedule is reproducible; the timers are injected so tests can drive them.
 */
import type { Clock } from '../bus/types.ts';
import { CounterRng } from '../core/rng.ts';
import { CircuitBreaker } from './breaker.ts';
import { Semaphore } from './semaphore.ts';
import type { PairFailure } from './types.ts';

/** A failed call: retriable (timeout, connection refused, 5xx, 429) or not (garbage, 4xx). */
export class RmCallError extends Error {
  constructor(
    readonly code: PairFailure['code'],
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'RmCallError';
  }
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
}

export const defaultResilience: ResilienceOptions = {
  concurrency: 8,
  timeoutMs: 30_000,
  retries: 3,
  backoffBaseMs: 200,
  backoffCapMs: 5_000,
  breakerFailures: 5,
  breakerOpenMs: 10_000,
};

export class Resilient {
  readonly breaker: CircuitBreaker;
  readonly #sem: Semaphore;
  readonly #rng: CounterRng;
  readonly stats = { calls: 0, attempts: 0, retries: 0, timeouts: 0, failures: 0, shortCircuited: 0, maxConcurrent: 0 };

  constructor(
    readonly o: ResilienceOptions,
    clock: Clock,
    seed: number,
    rm: string,
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
        this.breaker.failure();
      }
      if (!err.retriable || n >= this.o.retries) {
        this.stats.failures++;
        throw new RmCallError(err.code, n > 0 ? `${err.message} (after ${n + 1} attempts)` : err.message, err.retriable);
      }
      this.stats.retries++;
      await this.timers.sleep(this.backoff(key, n + 1));
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
