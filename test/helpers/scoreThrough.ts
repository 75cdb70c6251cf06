/**
 * Scores ScoringRequests through the scorer's one path (the scoreMicroBatch operator) with a given
 * backend, the way the scorer app does, and returns the Scores and the dead letters the app would
 * write (each rejected pair, with its reason). Also: a backend built from a raw `scorers` entry
 * through the config parser and createRmBackend, with a test clock and timers whose sleeps only
 * record their length. Not a test file.
 */
import { Subject } from 'rxjs';
import type { BusRecord } from '../../src/bus/types.ts';
import { scoreMicroBatch } from '../../src/operators/scoreMicroBatch.ts';
import type { Work } from '../../src/operators/types.ts';
import type { ChatMessage, Score, ScoringRequest } from '../../src/records/types.ts';
import { parseScorerConfig } from '../../src/scorers/config.ts';
import { createRmBackend } from '../../src/scorers/index.ts';
import { realTimers, type Timers } from '../../src/scorers/resilience.ts';
import type { RmBackend } from '../../src/scorers/types.ts';

export const RM = 'rm-a';

/** A clock the test moves, and timers whose sleeps return at once and are recorded. */
export function testTime() {
  const clock = {
    t: 1_000,
    now() {
      return this.t;
    },
  };
  const slept: number[] = [];
  const timers: Timers = {
    sleep: async (ms) => {
      slept.push(ms);
    },
    deadline: realTimers.deadline,
  };
  return { clock, slept, timers };
}

/** A backend from a raw `scorers` entry, as the scorer app builds it. */
export async function backendFrom(
  raw: Record<string, unknown>,
  t = testTime(),
): Promise<{ backend: RmBackend } & ReturnType<typeof testTime>> {
  const cfg = parseScorerConfig(raw, `scorers[${JSON.stringify(RM)}]`);
  const backend = await createRmBackend(cfg, { clock: t.clock, seed: 1, run: 'test', rm: RM, arms: [RM], timers: t.timers });
  return { backend, ...t };
}

export const record = (i: number): BusRecord => ({
  topic: 't.requests.rm-a',
  partition: 0,
  offset: String(i),
  key: null,
  value: Buffer.from([i & 0xff]),
  headers: {},
  timestamp: '0',
});

/** `prompts` prompts of `pairs` pairs each; prompt i's responses are `answer i.k`, pair k compares k and k+1. */
export function requests(prompts: number, pairs: number, o: { messages?: (i: number) => ChatMessage[] } = {}): Work<ScoringRequest>[] {
  return Array.from({ length: prompts }, (_, i) => ({
    record: record(i),
    rejected: [],
    value: {
      run: 'test',
      batch: 0,
      promptId: `q${i}`,
      rm: RM,
      prompt: o.messages === undefined ? `Question ${i}: what is ${i} + ${i}?` : '',
      messages: o.messages?.(i) ?? [],
      promptPairs: pairs,
      routedAtMs: 0,
      pairs: Array.from({ length: pairs }, (_, k) => ({
        pairId: `q${i}/${k}`,
        index: k,
        responseA: `answer ${i}.${k}`,
        responseB: `answer ${i}.${k + 1}`,
      })),
    },
  }));
}

/** Scores `items` as one micro-batch (maxPairs above their pairs; the source completing flushes it). */
export async function scoreThrough(backend: RmBackend, items: Work<ScoringRequest>[]) {
  const src = new Subject<Work<ScoringRequest>>();
  const out: Work<Score>[] = [];
  const batches: number[] = [];
  const done = new Promise<void>((resolve, reject) =>
    src
      .pipe(
        scoreMicroBatch({
          backend,
          arms: [RM],
          clock: { now: () => 0 },
          maxPairs: 1_000_000,
          maxWaitMs: 60_000,
          onBatch: (pairs) => batches.push(pairs),
        }),
      )
      .subscribe({ next: (w) => out.push(w), complete: resolve, error: reject }),
  );
  for (const it of items) src.next(it);
  src.complete();
  await done;
  const deadLetters = out.flatMap((w) => w.rejected.map((r) => ({ reason: r.reason ?? 'OTHER', message: String(r.error) })));
  return { scores: out.map((w) => w.value!), deadLetters, batches };
}
