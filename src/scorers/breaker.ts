/**
 * A circuit breaker per RM (closed → open → half-open → closed), on an injected clock.
 *
 * closed: calls pass; `failureThreshold` failures in a row open it.
 * open: calls fail at once (no request is sent) until `openMs` has passed since it opened.
 * half-open: one probe call passes (others fail at once); its success closes the breaker, its
 * failure opens it again for another `openMs`.
 *
 * Written here rather than taken from a library because the breaker must run on the loop's
 * injected clock (tests step it); the libraries read the wall clock and run their own timers.
 */
import type { Clock } from '../bus/types.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
  clock: Clock;
  /** Called on every state change (logs, counters). */
  onChange?: (from: BreakerState, to: BreakerState) => void;
}

export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;
  readonly transitions: Record<string, number> = {};

  constructor(private readonly o: BreakerOptions) {}

  get state(): BreakerState {
    if (this.#state === 'open' && this.o.clock.now() - this.#openedAt >= this.o.openMs) this.#set('half-open');
    return this.#state;
  }

  /** Whether a call may go out now; a true in half-open reserves the one probe. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.#probeInFlight) return false;
    this.#probeInFlight = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#probeInFlight = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  failure(): void {
    this.#probeInFlight = false;
    this.#failures++;
    if (this.#state === 'half-open' || (this.#state === 'closed' && this.#failures >= this.o.failureThreshold)) {
      this.#openedAt = this.o.clock.now();
      this.#set('open');
    }
  }

  #set(to: BreakerState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    const key = `${from}->${to}`;
    this.transitions[key] = (this.transitions[key] ?? 0) + 1;
    this.o.onChange?.(from, to);
  }
}
