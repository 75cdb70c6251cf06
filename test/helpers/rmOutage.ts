/**
 * An RM outage mid-run, on either bus: the loop's first RM is an OpenRLHF server on 127.0.0.1
 * (test/helpers/fakeRm.ts) that is stopped after batch `downAt` and started again on the same
 * port after batch `upAt` (or left down). Returns what the tests check: every routed pair of that
 * RM has a Score (scored or unscored), every unscored pair has its dead letter, no label uses an
 * unscored pair, and the loop finished. Not a test file.
 */
import assert from 'node:assert/strict';
import type { RecordCodec } from '../../src/avro/codec.ts';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import type { Bus, Clock } from '../../src/bus/types.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import type { DeadLetter, Decision, Label, Score } from '../../src/records/types.ts';
import { runLoop, type LoopSummary } from '../../streams/loop/loop.ts';
import { quietLog, testSettings } from '../unit/streams-fixtures.ts';
import { openrlhfAnswer, startFake, type FakeServer } from './fakeRm.ts';

export interface OutageResult {
  summary: LoopSummary;
  rm: string;
  /** Pairs routed to the RM (decisions, each pair once). */
  routed: Set<string>;
  scored: Set<string>;
  unscored: Set<string>;
  /** Pair ids named by the RM's RM_UNAVAILABLE / RM_BAD_RESPONSE dead letters. */
  deadLettered: Set<string>;
  labeled: Set<string>;
  /** Pairs that went to other RMs. */
  otherRouted: number;
  prompts: number;
  labels: number;
  requestsSeen: number;
}

export async function outageRun(
  bus: Bus,
  prefix: string,
  o: { batches: number; downAt: number; upAt: number | null; clock: Clock },
): Promise<OutageResult> {
  let server: FakeServer = await startFake(openrlhfAnswer);
  const port = server.port;
  let requestsSeen = 0;
  const base = testSettings({ prefix });
  const rm = base.arms[0]!;
  const settings = testSettings({
    prefix,
    scorers: {
      [rm]: {
        backend: 'http',
        protocol: 'openrlhf',
        url: `${server.url}/reward`,
        modelVersion: 'fake-openrlhf@1',
        maxPairs: 64,
        maxWaitMs: 2,
        timeoutMs: 2_000,
        retries: 2,
        backoffBaseMs: 5,
        backoffCapMs: 20,
        breakerFailures: 3,
        breakerOpenMs: 0,
      },
    },
  });
  const codec: RecordCodec = new SingleObjectCodec();
  let chain = Promise.resolve();
  try {
    const summary = await runLoop({
      bus,
      settings,
      batches: o.batches,
      clock: o.clock,
      log: quietLog,
      codec,
      onProgress: (t) => {
        // Outage control runs between batches (the trainer waits for labels before the next one).
        chain = chain.then(async () => {
          if (t === o.downAt) {
            requestsSeen += server.bodies.length;
            await server.close();
          }
          if (t === o.upAt) server = await startFake(openrlhfAnswer, port);
        });
      },
    });
    await chain;
    requestsSeen += server.bodies.length;
    const read = async <T>(base: 'decisions' | 'scores' | 'dlq' | 'labels'): Promise<T[]> =>
      Promise.all((await bus.readToEnd(topicName(prefix, base))).map((r) => codec.decode(base, r.value!) as Promise<T>));
    const routed = new Set<string>();
    let otherRouted = 0;
    for (const d of (await read<Decision>('decisions')).flatMap(pairDecisions)) {
      // one record per prompt (Decision v2)
      if (d.chosenRm === rm) routed.add(d.pairId);
      else otherRouted++;
    }
    const scored = new Set<string>();
    const unscored = new Set<string>();
    for (const sc of await read<Score>('scores')) {
      if (sc.rm !== rm) continue;
      for (const p of sc.pairs) (p.unscored == null ? scored : unscored).add(p.pairId);
    }
    const deadLettered = new Set<string>();
    for (const l of await read<DeadLetter>('dlq')) {
      const m = /^pair (\S+) unscored by RM /.exec(l.message);
      if ((l.reason === 'RM_UNAVAILABLE' || l.reason === 'RM_BAD_RESPONSE') && m) deadLettered.add(m[1]!);
    }
    const labels = await read<Label>('labels');
    const labeled = new Set(labels.flatMap((l) => l.pairs.map((p) => p.pairId)));
    return {
      summary,
      rm,
      routed,
      scored,
      unscored,
      deadLettered,
      labeled,
      otherRouted,
      prompts: o.batches * settings.sim!.config.promptsPerBatch,
      labels: new Set(labels.map((l) => l.promptId)).size,
      requestsSeen,
    };
  } finally {
    await server.close();
  }
}

/** The checks both outage tests make. */
export function checkOutage(r: OutageResult, batches: number, restarted: boolean): void {
  assert.equal(r.summary.batches, batches, 'the loop finished');
  assert.equal(r.labels, r.prompts, 'one label per prompt: every prompt completed');
  assert.ok(r.routed.size > 0, 'pairs were routed to the HTTP RM');
  assert.ok(r.unscored.size > 0, 'the outage left pairs unscored');
  for (const p of r.routed) assert.ok(r.scored.has(p) || r.unscored.has(p), `pair ${p} routed to ${r.rm} has no Score`);
  for (const p of r.scored) assert.ok(!r.unscored.has(p), `pair ${p} both scored and unscored`);
  assert.equal(r.scored.size + r.unscored.size, r.routed.size, 'routed = scored + unscored');
  assert.deepEqual([...r.unscored].sort(), [...r.deadLettered].sort(), 'every unscored pair is dead-lettered, and only those');
  for (const p of r.unscored) assert.ok(!r.labeled.has(p), `unscored pair ${p} was labeled`);
  assert.equal(r.routed.size + r.otherRouted, r.summary.pairs, 'every pair was routed once');
  if (restarted) assert.ok(r.scored.size > 0 && r.requestsSeen > 0, 'scored before and after the outage');
  const unavailable = r.summary.deadLetters.RM_UNAVAILABLE ?? 0;
  assert.equal(unavailable, r.unscored.size, 'dlq RM_UNAVAILABLE = unscored pairs');
  assert.deepEqual(
    Object.keys(r.summary.deadLetters).filter((k) => k !== 'RM_UNAVAILABLE'),
    [],
    'no other dead letters',
  );
  assert.equal(r.summary.snapshots.length, 4);
  for (const s of r.summary.snapshots) assert.equal(s.version, batches - 1, `${s.rm}: posterior reached the last batch`);
}
