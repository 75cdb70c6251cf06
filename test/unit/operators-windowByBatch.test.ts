// Marble tests for windowByBatch (TestScheduler virtual time: no wall clock).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestScheduler } from 'rxjs/testing';
import { windowByBatch, type WindowInput, type WindowOutput } from '../../src/operators/windowByBatch.ts';

type In = WindowInput<string>;
type Out = WindowOutput<string>;

const item = (batch: number, id: string): In => ({ kind: 'item', batch, item: id });
const end = (batch: number, expected: number): In => ({ kind: 'end', batch, expected });
const win = (batch: number, items: string[], expected: number, timedOut = false, missingEnd = false): Out => ({
  kind: 'window',
  batch,
  items,
  expected,
  timedOut,
  missingEnd,
});

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('windowByBatch (marbles)', () => {
  it('empty input: completes with no window', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<In>('|').pipe(windowByBatch<string>({ graceMs: 5 }))).toBe('|');
    });
  });

  it('single window: closes on its marker once all expected items are in', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<In>('a-b-e--|', { a: item(0, 'p1'), b: item(0, 'p2'), e: end(0, 2) });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 100 }))).toBe('----w--|', { w: win(0, ['p1', 'p2'], 2) });
    });
  });

  it('multiple windows close strictly in batch order; late and duplicate items come out as such', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<In>('a-F-b-e-d-l-|', {
        a: item(1, 'q1'),
        F: end(1, 1),
        b: item(0, 'p1'),
        e: end(0, 1),
        d: item(2, 'r1'),
        l: item(0, 'p9'),
      });
      const out = src.pipe(windowByBatch<string>({ graceMs: 100, key: (s) => s }));
      expectObservable(out).toBe('------(xy)L-|', {
        x: win(0, ['p1'], 1),
        y: win(1, ['q1'], 1),
        L: { kind: 'late', batch: 0, item: 'p9' },
      });
    });
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<In>('a-a-e|', { a: item(0, 'p1'), e: end(0, 1) });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 100, key: (s) => s }))).toBe('--D-w|', {
        D: { kind: 'duplicate', batch: 0, item: 'p1' },
        w: win(0, ['p1'], 1),
      });
    });
  });

  it('grace timeout: closes graceMs after the marker with what it has', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<In>('a-e 20ms -------|', { a: item(0, 'p1'), e: end(0, 3) });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 10 }))).toBe('-- 10ms w 17ms |', { w: win(0, ['p1'], 3, true) });
    });
  });

  it('a batch whose marker never comes closes graceMs after a later marker, and the later batches go on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // batch 0: two items, no marker; batch 1 complete at frame 4; batch 2 complete after the close.
      const src = cold<In>('a-b-F 20ms c-G|', { a: item(0, 'p1'), b: item(1, 'q1'), F: end(1, 1), c: item(2, 'r1'), G: end(2, 1) });
      const out = src.pipe(windowByBatch<string>({ graceMs: 10 }));
      expectObservable(out).toBe('---- 10ms (xy) 7ms --z|', {
        x: win(0, ['p1'], 1, false, true),
        y: win(1, ['q1'], 1),
        z: win(2, ['r1'], 1),
      });
    });
    scheduler().run(({ cold, expectObservable }) => {
      // batch 0 lost entirely (no item, no marker): batch 1 is not blocked either.
      const src = cold<In>('b-F 20ms |', { b: item(1, 'q1'), F: end(1, 1) });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 10 }))).toBe('-- 10ms (xy) 7ms |', {
        x: win(0, [], 0, false, true),
        y: win(1, ['q1'], 1),
      });
    });
  });

  it('a complete window waits for `ready` until a poke re-checks it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let decided = false;
      const src = cold<In>('a-e-p-P-|', { a: item(0, 'p1'), e: end(0, 1), p: { kind: 'poke' }, P: { kind: 'poke' } });
      const out = src.pipe(windowByBatch<string>({ graceMs: 100, ready: () => decided }));
      src.subscribe((ev) => {
        if (ev.kind === 'poke') decided = true;
      }); // the first poke flips it
      expectObservable(out).toBe('----w---|', { w: win(0, ['p1'], 1) });
    });
  });

  it('propagates an error and cancels the grace timers', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<In>('a-e-#', { a: item(0, 'p1'), e: end(0, 2) });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 10 }))).toBe('----#');
    });
  });

  it('early unsubscribe: no window after it, and the source is unsubscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<In>('a-e 20ms -|', { a: item(0, 'p1'), e: end(0, 2) });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 10 })), '^--- !').toBe('');
      expectSubscriptions(src.subscriptions).toBe('^--- !');
    });
  });

  it('on completion, closes the windows that have a marker, in order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<In>('a-e-b|', { a: item(0, 'p1'), e: end(0, 2), b: item(1, 'q1') });
      expectObservable(src.pipe(windowByBatch<string>({ graceMs: 100 }))).toBe('-----(w|)', { w: win(0, ['p1'], 2, true) });
    });
  });
});
