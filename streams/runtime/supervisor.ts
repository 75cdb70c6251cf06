/**
 * The one supervision mechanism of every app run as its own process (`reward-router run <app>`).
 *
 * Crash-only: whatever goes wrong inside an incarnation of the app (a consumer CRASH, a failed send
 * or commit, a failed transaction, an unhandled rejection) is reported to `fail`, and the
 * supervisor throws the whole incarnation away (app and bus, each close bounded in time) and
 * starts a fresh one on a fresh bus. A fresh incarnation restores exactly as a restarted process
 * does (committed offsets, `posteriors`, transactional ids that fence the old writer, which aborts
 * its open transaction), so nothing is lost or applied twice: this reuses the path that the
 * SIGKILL-and-restart tests prove, instead of repairing each client in place.
 *
 * An outage is the time from the first failure to the next incarnation that starts (connects,
 * restores and joins its groups). Past `outageLimitMs`, or on an error that a restart cannot fix
 * (bad config, missing authorization), `run()` resolves with a non-zero exit code
 * and a message; the process exits and an outer supervisor (Kubernetes…) takes over. A process
 * therefore never stays alive with a dead consumer.
 */
import { isRouterError } from '../../src/core/errors.ts';
import type { AppHandle, Logger } from './context.ts';

/** One incarnation: the app and the bus it runs on (closed together). */
export interface Incarnation {
  handle: AppHandle;
}

export interface SupervisorOptions {
  name: string;
  /** Longest outage (first failure → next successful start) ridden out before giving up. */
  outageLimitMs: number;
  /** A fresh bus (its own kafkajs client). Closing it closes every client the app opened on it. */
  openBus(): { close(): Promise<void> };
  /** Starts the app on `bus`; `fail` is what the app calls when it cannot go on. */
  startApp(bus: ReturnType<SupervisorOptions['openBus']>, fail: (err: unknown) => void): Promise<AppHandle>;
  log: Logger;
  /** Monotonic ms for the outage clock (supervision timing only, never in results). */
  now(): number;
  sleep?(ms: number): Promise<void>;
  /** Bound on closing one incarnation (app, then bus); past it the process gives up. Default 15 000. */
  closeTimeoutMs?: number;
  /** Delay before the first restart; doubles up to `maxBackoffMs`. Defaults 250 / 2 000. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface SupervisorExit {
  code: number;
  reason: 'done' | 'stopped' | 'outage-limit' | 'non-retriable' | 'close-timeout';
  message: string;
  restarts: number;
  /** The app's counters at the end (last incarnation). */
  stats: Record<string, number>;
}

/**
 * Errors a fresh incarnation cannot fix: configuration, data contracts, missing authorization (to
 * Kafka, or an RM's refusal of this scorer's key: RR_RM not marked retriable). A
 * fenced producer is NOT among them: the transactional apps run behind a lease
 * (streams/runtime/activeStandby.ts), so a fresh incarnation of a fenced writer comes back as a standby
 * while the other instance holds the lease, and a transaction the coordinator aborted on timeout
 * after a long outage is fixed by the fresh producer id a restart gets.
 */
export function isNonRetriable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' || type === 'GROUP_AUTHORIZATION_FAILED' || type === 'TOPIC_AUTHORIZATION_FAILED')
      return true;
    if (isRouterError(e) && ['RR_INVALID_CONFIG', 'RR_INVALID_PRIOR', 'RR_SCHEMA', 'RR_IO', 'RR_INVALID_PROFILE'].includes(e.code))
      return true;
    // An RM that refuses this scorer (a judge's preflight answered 401/403/404/400: a key, URL or model
    // to fix) or a model that will not load; a retriable RR_RM, if one is ever raised, is restarted.
    if (isRouterError(e, 'RR_RM') && !e.retriable) return true;
  }
  return false;
}

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export class Supervisor {
  readonly #o: SupervisorOptions;
  #stopping = false;
  #wake: (() => void) | null = null;
  #failCurrent: ((err: unknown) => void) | null = null;
  #current: { bus: { close(): Promise<void> }; handle: AppHandle | null } | null = null;
  restarts = 0;

  constructor(o: SupervisorOptions) {
    this.#o = o;
  }

  /** Reports a failure from outside the app (an unhandled rejection): the current incarnation is replaced. */
  fail(err: unknown): void {
    this.#failCurrent?.(err);
  }

  /** SIGTERM/SIGINT: stop at any moment (starting, joining, running, backing off); run() then resolves with code 0. */
  stop(): void {
    this.#stopping = true;
    this.#wake?.();
    // A start in progress is cut short by closing its bus: every client it opened closes, the join wait rejects.
    const cur = this.#current;
    if (cur !== null && cur.handle === null) void cur.bus.close().catch(() => {});
  }

  async run(): Promise<SupervisorExit> {
    const o = this.#o;
    let outageSince: number | null = null;
    let backoff = o.backoffMs ?? 250;
    let stats: Record<string, number> = {};
    const exit = (code: number, reason: SupervisorExit['reason'], message: string): SupervisorExit => ({
      code,
      reason,
      message,
      restarts: this.restarts,
      stats,
    });
    for (;;) {
      if (this.#stopping) return exit(0, 'stopped', 'stopped');
      let failure: { err: unknown } | null = null;
      const outcome = new Promise<'failed' | 'done' | 'stopped'>((resolve) => {
        this.#failCurrent = (err) => {
          if (failure === null) {
            failure = { err };
            resolve('failed');
          }
        };
        this.#wake = () => resolve('stopped');
      });
      const bus = o.openBus();
      const cur: { bus: typeof bus; handle: AppHandle | null } = { bus, handle: null };
      this.#current = cur;
      let event: 'failed' | 'done' | 'stopped';
      try {
        const starting = o.startApp(bus, (err) => this.#failCurrent?.(err));
        // stop() or a failure while starting: do not wait for the start (its bus is about to be
        // closed); an app that still comes up afterwards is closed as soon as it does.
        const aborted = outcome.then((ev): never => {
          throw new Error(`${ev} while starting`);
        });
        const handle = await Promise.race([starting, aborted]).catch((err: unknown) => {
          void starting.then(
            (late) => late.close(),
            () => {},
          );
          throw err;
        });
        cur.handle = handle;
        if (!this.#stopping && failure === null) {
          o.log.info('started', { app: o.name, incarnation: this.restarts });
          if (outageSince !== null)
            o.log.info('recovered', { app: o.name, outageMs: Math.round(o.now() - outageSince), restarts: this.restarts });
          outageSince = null;
          backoff = o.backoffMs ?? 250;
        }
        const done = (handle as { done?: Promise<void> }).done;
        const finished = done
          ? done.then(
              () => 'done' as const,
              (err: unknown) => {
                this.#failCurrent?.(err);
                return 'failed' as const;
              },
            )
          : new Promise<never>(() => {});
        event = this.#stopping ? 'stopped' : await Promise.race([outcome, finished]);
      } catch (err) {
        this.#failCurrent?.(err);
        event = this.#stopping ? 'stopped' : 'failed';
      }
      this.#failCurrent = null;
      if (cur.handle !== null) stats = cur.handle.stats();
      const closed = await this.#close(cur);
      if (event === 'done') return exit(closed ? 0 : 1, 'done', closed ? 'done' : 'done, but closing timed out');
      if (event === 'stopped' || this.#stopping) {
        return closed
          ? exit(0, 'stopped', 'stopped')
          : exit(1, 'close-timeout', `${o.name}: closing took longer than ${o.closeTimeoutMs ?? 15_000} ms`);
      }
      const err = (failure as { err: unknown } | null)?.err;
      o.log.warn('incarnation failed', { app: o.name, error: describe(err) });
      if (!closed) {
        return exit(
          1,
          'close-timeout',
          `${o.name}: could not close its Kafka clients within ${o.closeTimeoutMs ?? 15_000} ms after ` +
            `a failure (${describe(err)}); exiting so that no half-closed consumer stays alive`,
        );
      }
      if (isNonRetriable(err)) return exit(1, 'non-retriable', `${o.name}: ${describe(err)} (not retriable; exiting)`);
      outageSince ??= o.now();
      const left = o.outageLimitMs - (o.now() - outageSince);
      if (left <= 0) {
        return exit(
          1,
          'outage-limit',
          `${o.name}: could not recover within outageLimitMs = ${o.outageLimitMs} ms ` +
            `(${this.restarts} restarts; last error: ${describe(err)})`,
        );
      }
      await this.#pause(Math.min(backoff, left));
      backoff = Math.min(backoff * 2, o.maxBackoffMs ?? 2_000);
      if (!this.#stopping) this.restarts++;
    }
  }

  async #pause(ms: number): Promise<void> {
    const sleep = this.#o.sleep ?? ((t: number) => new Promise<void>((r) => setTimeout(r, t)));
    await Promise.race([
      sleep(ms),
      new Promise<void>((r) => {
        this.#wake = r;
      }),
    ]);
  }

  /** Closes the app, then the bus (every client it handed out); false when that takes too long. */
  async #close(cur: { bus: { close(): Promise<void> }; handle: AppHandle | null }): Promise<boolean> {
    const limit = this.#o.closeTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), limit);
    });
    const close = (async () => {
      await cur.handle?.close().catch((err: unknown) => this.#o.log.warn('app close failed', { error: describe(err) }));
      await cur.bus.close().catch((err: unknown) => this.#o.log.warn('bus close failed', { error: describe(err) }));
      return true as const;
    })();
    try {
      return await Promise.race([close, timeout]);
    } finally {
      clearTimeout(timer);
      this.#current = null;
    }
  }
}
