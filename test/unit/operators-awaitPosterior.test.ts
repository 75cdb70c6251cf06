// awaitPosterior on virtual time: items wait for the version they need, or for the bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BehaviorSubject, map, type Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { awaitPosterior } from '../../src/operators/awaitPosterior.ts';

const newScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
/** Items are the version they need; the output is `need:timedOut`. */
const label = (r: { value: number; timedOut: boolean }) => `${r.value}${r.timedOut ? 't' : 'r'}`;

describe('awaitPosterior', () => {
  it('passes an item at once when its version is there, and completes with the source', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const versions = withCurrent(hot<number>('-'), 0);
      const src = cold('-x-|', { x: 0 });
      const op = awaitPosterior<number>({ versions, required: (n) => n, maxWaitMs: 10 });
      expectObservable(src.pipe(op, mapLabel())).toBe('-x-|', { x: '0r' });
    });
  });

  it('is empty for an empty source', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const op = awaitPosterior<number>({ versions: withCurrent(cold('-'), -1), required: (n) => n, maxWaitMs: 5 });
      expectObservable(cold<number>('|').pipe(op)).toBe('|');
    });
  });

  it('holds an item until its version arrives, keeping arrival order', () => {
    newScheduler().run(({ hot, expectObservable }) => {
      const versions = withCurrent(hot('----a---b', { a: 1, b: 2 }), 0);
      const src = hot('-x-y-----|', { x: 1, y: 2 });
      const op = awaitPosterior<number>({ versions, required: (n) => n, maxWaitMs: 100 });
      expectObservable(src.pipe(op, mapLabel())).toBe('----x---y|', { x: '1r', y: '2r' });
    });
  });

  it('lets an item go when the wait expires, timedOut set and waitedMs recorded', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const versions = withCurrent(cold('-'), 0);
      const src = cold('x---|', { x: 5 });
      const op = awaitPosterior<number>({ versions, required: (n) => n, maxWaitMs: 3 });
      expectObservable(src.pipe(op)).toBe('---a|', { a: { value: 5, timedOut: true, waitedMs: 3 } });
    });
  });

  it('waits once per version: after a timeout, later items of that batch go at once', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      // Three records of batch 5 (need version 5) and one of batch 6; version 5 never comes.
      const versions = withCurrent(hot<number>('-'), 4);
      const src = cold('(abc)d|', { a: 5, b: 5, c: 5, d: 6 });
      const op = awaitPosterior<number>({ versions, required: (n) => n, maxWaitMs: 10 });
      // a waits the full 10; b and c go with it at once; d (a newer version) waits its own 10.
      expectObservable(src.pipe(op, mapLabel())).toBe('10ms (abc) 5ms (d|)', { a: '5t', b: '5t', c: '5t', d: '6t' });
    });
  });

  it('forwards a source error', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const op = awaitPosterior<number>({ versions: withCurrent(cold('-'), 9), required: (n) => n, maxWaitMs: 3 });
      expectObservable(cold('x#', { x: 1 }).pipe(op, mapLabel())).toBe('x#', { x: '1r' });
    });
  });

  it('stops waiting on early unsubscribe', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const versions = hot('------a', { a: 3 });
      const src = cold('x---|', { x: 3 });
      const op = awaitPosterior<number>({ versions: withCurrent(versions, 0), required: (n) => n, maxWaitMs: 100 });
      expectObservable(src.pipe(op), '--!').toBe('--');
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
  });
});

/** A BehaviorSubject-like view: the current value first, then the changes (what the replica gives). */
function withCurrent(changes: Observable<number>, current: number): Observable<number> {
  const subject = new BehaviorSubject(current);
  changes.subscribe((v) => subject.next(v));
  return subject;
}

function mapLabel(): OperatorFunction<{ value: number; timedOut: boolean }, string> {
  return map(label);
}
