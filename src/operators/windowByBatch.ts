/**
 * windowByBatch: groups items by batch index and emits each batch's window strictly in batch
 * order. A window closes once its end marker has arrived and either `expected` items are in or
 * `graceMs` have passed since the marker (timer on the injected scheduler). Order is strict because
 * downstream state (the reward normalizer's history) depends on it: a complete batch t + 1 waits
 * for batch t. Items of a batch already closed come out as `late`; a second item with the same key
 * in one window as `duplicate`. On source completion the windows that have a marker close at once
 * (consecutive ones only), then the output completes; unsubscribing cancels every timer.
 * A batch whose marker never comes is closed `graceMs` after a later batch's marker has arrived,
 * with the items it has (`missingEnd`), so one lost marker never blocks the batches after it.
 * `ready` lets a complete window also wait for something outside the stream (the aggregator: every
 * pair's decision, which comes on another topic); a `poke` input re-checks it once that may have changed.
 */
import { asyncScheduler, Observable } from 'rxjs';
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs';

export type WindowInput<T> = { kind: 'item'; batch: number; item: T } | { kind: 'end'; batch: number; expected: number } | { kind: 'poke' };

export type WindowOutput<T> =
  | { kind: 'window'; batch: number; items: T[]; expected: number; timedOut: boolean; missingEnd: boolean }
  | { kind: 'late' | 'duplicate'; batch: number; item: T };

export interface WindowByBatchOptions<T> {
  graceMs: number;
  /** The first batch to close (the one after the last closed, on restore). Default 0. */
  firstBatch?: number;
  /** Identity of an item within its window; items without a key function are never duplicates. */
  key?: (item: T) => string;
  scheduler?: SchedulerLike;
  /** A complete window closes only once this holds (grace closes it regardless). Default: always. */
  ready?: (batch: number, items: readonly T[]) => boolean;
}

interface OpenWindow<T> {
  items: T[];
  keys: Set<string>;
  expected: number | null;
  expired: boolean;
  /** Closed by the missing-end timer: no marker came, though a later batch's did. */
  missingEnd: boolean;
  timer: Subscription | null;
}

export function windowByBatch<T>(opts: WindowByBatchOptions<T>): OperatorFunction<WindowInput<T>, WindowOutput<T>> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<WindowOutput<T>>((sub) => {
      let next = opts.firstBatch ?? 0;
      const open = new Map<number, OpenWindow<T>>();
      const windowOf = (batch: number): OpenWindow<T> => {
        let w = open.get(batch);
        if (w === undefined)
          open.set(batch, (w = { items: [], keys: new Set(), expected: null, expired: false, missingEnd: false, timer: null }));
        return w;
      };
      const ready = (w: OpenWindow<T>): boolean =>
        w.expected !== null && (w.expired || (w.items.length >= w.expected && (opts.ready?.(next, w.items) ?? true)));
      /** The newest batch whose end marker has arrived. */
      let latestEnd = -Infinity;
      /**
       * A batch whose marker never comes must not block the later ones: once a later batch's marker
       * is in, the next batch to close gets `graceMs` to receive its own, then closes with the items
       * it has (missingEnd). Only the next batch needs the timer, since windows close in order.
       */
      const armMissingEnd = (): void => {
        if (latestEnd <= next || sub.closed) return;
        const w = windowOf(next);
        if (w.expected !== null || w.timer !== null) return;
        w.timer = scheduler.schedule(() => {
          if (w.expected === null) {
            w.expected = w.items.length;
            w.missingEnd = true;
          }
          w.expired = true;
          drain();
        }, opts.graceMs);
      };
      const drain = (): void => {
        for (let w = open.get(next); w !== undefined && ready(w) && !sub.closed; w = open.get(next)) {
          open.delete(next);
          w.timer?.unsubscribe();
          const expected = w.expected!;
          sub.next({
            kind: 'window',
            batch: next++,
            items: w.items,
            expected,
            timedOut: w.items.length < expected,
            missingEnd: w.missingEnd,
          });
        }
        armMissingEnd();
      };
      const inner = source.subscribe({
        next(ev) {
          if (ev.kind === 'poke') return drain();
          if (ev.batch < next) {
            if (ev.kind === 'item') sub.next({ kind: 'late', batch: ev.batch, item: ev.item });
            return; // a repeated marker of a closed batch changes nothing
          }
          const w = windowOf(ev.batch);
          if (ev.kind === 'item') {
            const key = opts.key?.(ev.item);
            if (key !== undefined && w.keys.has(key)) return sub.next({ kind: 'duplicate', batch: ev.batch, item: ev.item });
            if (key !== undefined) w.keys.add(key);
            w.items.push(ev.item);
          } else if (w.expected === null) {
            latestEnd = Math.max(latestEnd, ev.batch);
            w.expected = ev.expected;
            w.timer?.unsubscribe(); // a missing-end timer: the marker came after all
            w.timer = scheduler.schedule(() => {
              w.expired = true;
              drain();
            }, opts.graceMs);
          }
          drain();
        },
        error: (err: unknown) => sub.error(err),
        complete() {
          for (const w of open.values()) if (w.expected !== null) w.expired = true;
          drain();
          sub.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        for (const w of open.values()) w.timer?.unsubscribe();
        open.clear();
      };
    });
}
