import {
  asyncScheduler,
  concatMap,
  defer,
  filter,
  map,
  race,
  take,
  timer,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';

export interface AwaitPosteriorConfig<T> {
  /**
   * The replica's complete version as it changes (every RM has it). Must replay
   * its current value on subscribe (a BehaviorSubject), so an item whose version
   * is already there passes at once.
   */
  versions: Observable<number>;
  /** The version an item needs (t − lag); −Infinity for items that need none. */
  required: (item: T) => number;
  /** How long to hold an item before it goes on anyway. */
  maxWaitMs: number;
  /** Timer and clock; inject the TestScheduler in marble tests. */
  scheduler?: SchedulerLike;
}

/** An item released by `awaitPosterior`: whether it waited out the bound, and for how long it was held. */
export interface Released<T> {
  value: T;
  timedOut: boolean;
  waitedMs: number;
}

/**
 * Holds each item until the posterior replica reaches the version it needs, or
 * until `maxWaitMs` has passed, whichever comes first, then emits it.
 * <span class="informal">A bounded wait for state: batch t is routed with
 * version t − lag when it arrives in time, else with the newest one.</span>
 *
 * Once the wait for a version has run out, later items needing that version (or an older one) do
 * not wait again: the rest of the batch goes on with what the replica has.
 *
 * Items leave in arrival order (`concatMap`): a later item never overtakes one
 * still waiting, so offsets are acknowledged in order, and the items waiting
 * are exactly the consumer's in-flight records (bounded by its gate).
 */
export function awaitPosterior<T>(cfg: AwaitPosteriorConfig<T>): OperatorFunction<T, Released<T>> {
  const scheduler = cfg.scheduler ?? asyncScheduler;
  return (source) =>
    defer(() => {
      // The highest version whose wait already ran out: the wait is paid once per version (once per
      // batch), not once per record, so a missing snapshot costs maxWaitMs, not maxWaitMs × records.
      let gaveUp = -Infinity;
      return source.pipe(
        concatMap((value) => {
          const need = cfg.required(value);
          if (need <= gaveUp) {
            return cfg.versions.pipe(
              take(1),
              map((v) => ({ value, timedOut: v < need, waitedMs: 0 })),
            );
          }
          const start = scheduler.now();
          const ready$ = cfg.versions.pipe(
            filter((v) => v >= need),
            take(1),
            map(() => false),
          );
          const expired$ = timer(cfg.maxWaitMs, scheduler).pipe(map(() => true));
          return race(ready$, expired$).pipe(
            map((timedOut) => {
              if (timedOut) gaveUp = Math.max(gaveUp, need);
              return { value, timedOut, waitedMs: scheduler.now() - start };
            }),
          );
        }),
      );
    });
}
