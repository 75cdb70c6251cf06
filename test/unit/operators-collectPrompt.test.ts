// collectPrompt (and keepDecisive after it): scores per prompt until the prompt is complete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { collectPrompt, type PromptScores, type ScoredPair } from '../../src/operators/collectPrompt.ts';
import { keepDecisive } from '../../src/operators/keepDecisive.ts';

const newScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
const pair = (pairId: string, index: number, gap: number, usable = true): ScoredPair => ({
  pairId,
  index,
  rm: 'rm',
  scoreA: gap / 2,
  scoreB: -gap / 2,
  usable,
});
const part = (promptId: string, promptPairs: number, ...pairs: ScoredPair[]): PromptScores => ({
  run: 'r',
  batch: 0,
  promptId,
  promptPairs,
  pairs,
});
/** The emitted prompt as `promptId:pairIds`. */
const show = map((p: PromptScores) => `${p.promptId}:${p.pairs.map((x) => x.pairId).join('')}`);

describe('collectPrompt', () => {
  it('emits nothing for an empty source', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<PromptScores>('|').pipe(collectPrompt())).toBe('|');
    });
  });

  it('emits a single-part prompt at once', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: part('p', 1, pair('x', 0, 1)) }).pipe(collectPrompt(), show)).toBe('a|', { a: 'p:x' });
    });
  });

  it('waits for every pair of each prompt, interleaved, sorted by index, re-deliveries counted once', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e|', {
        a: part('p', 3, pair('z', 2, 1)),
        b: part('q', 2, pair('u', 0, 1)),
        c: part('p', 3, pair('z', 2, 1)), // re-delivered: still 1 of 3
        d: part('p', 3, pair('y', 1, 1), pair('x', 0, 1)),
        e: part('q', 2, pair('v', 1, 1)),
      });
      expectObservable(src.pipe(collectPrompt(), show)).toBe('------d-e|', { d: 'p:xyz', e: 'q:uv' });
    });
  });

  it('ignores parts of a prompt already emitted', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab|', { a: part('p', 1, pair('x', 0, 1)), b: part('p', 1, pair('x', 0, 1)) });
      expectObservable(src.pipe(collectPrompt(), show)).toBe('a-|', { a: 'p:x' });
    });
  });

  it('forwards an error', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a#', { a: part('p', 2, pair('x', 0, 1)) }).pipe(collectPrompt())).toBe('-#');
    });
  });

  it('unsubscribes early without emitting the open prompt', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const src = hot('-a--b|', { a: part('p', 2, pair('x', 0, 1)), b: part('p', 2, pair('y', 1, 1)) });
      expectObservable(src.pipe(collectPrompt()), '^-!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
  });
});

describe('keepDecisive', () => {
  it('keeps the first keepPerPrompt decisive, usable pairs by index; an empty label otherwise', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab|', {
        a: part('p', 5, pair('v', 0, 0.05), pair('w', 1, 2), pair('x', 2, -1), pair('y', 3, 3, false), pair('z', 4, 1)),
        b: part('q', 1, pair('t', 0, 0.01)),
      });
      const labels = src.pipe(
        keepDecisive({ tieEps: 0.1, keepPerPrompt: 2 }),
        map((l) => l.pairs.map((p) => `${p.pairId}${p.chosen}`).join(',')),
      );
      expectObservable(labels).toBe('ab|', { a: 'wA,xB', b: '' });
    });
  });
});
