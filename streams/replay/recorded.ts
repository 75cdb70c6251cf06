/**
 * A recorded run, read back from its topic namespace: the generations and feedback to send again
 * (their original bytes and keys, so the replay's inputs are the recorded ones exactly), the scores
 * to answer scoring requests with (no RM is called again), and the decisions to compare against.
 * Only reads: nothing is ever written to the recorded namespace.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import type { Bus, BusRecord } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { topicName, type TopicBase } from '../../src/records/topics.ts';
import { pairDecisions, type PairDecision } from '../../src/records/decisions.ts';
import type { Decision, Feedback, Generation, PairScore } from '../../src/records/types.ts';

/** A record to send again: the recorded key and value, untouched. */
export interface RawRecord {
  key: Buffer | null;
  value: Buffer;
}

export interface RecordedScore extends PairScore {
  rm: string;
  batch: number;
  /** A shadow-scoring audit score (Score.audit): recorded, never labelled. */
  audit: boolean;
}

export interface RecordedRun {
  run: string;
  /** batch → its generations, in log order. */
  generations: Map<number, { raw: RawRecord; value: Generation }[]>;
  /** batch → its LOSS and BATCH_END records, in log order. */
  feedback: Map<number, { raw: RawRecord; value: Feedback }[]>;
  /**
   * `${rm}\u0000${pairId}` → the score that RM gave the pair (the first one recorded): the routed
   * score, and for a shadow pair the other RMs' audit scores (a pair goes to each RM once, routed
   * or audit, so the keys never collide; the replay's scorers answer audit requests from them too).
   */
  scores: Map<string, RecordedScore>;
  /** pairId → its decision (the first one recorded: a redelivered generation is routed once). */
  decisions: Map<string, PairDecision>;
  /** pairId → where it sits: batch, prompt and index in its generation (the comparison order). */
  order: Map<string, { batch: number; promptId: string; index: number }>;
  /** Last batch with a BATCH_END. */
  lastBatch: number;
}

export const scoreKey = (rm: string, pairId: string): string => `${rm}\u0000${pairId}`;

async function decoded<B extends Exclude<TopicBase, 'requests'>>(
  bus: Bus,
  codec: RecordCodec,
  prefix: string,
  base: B,
  each: (r: BusRecord, v: Awaited<ReturnType<RecordCodec['decode']>>) => void,
): Promise<void> {
  for (const r of await bus.readToEnd(topicName(prefix, base))) {
    if (r.value === null) continue;
    let v;
    try {
      v = await codec.decode(base as never, r.value);
    } catch {
      continue; // undecodable records were dead-lettered when the run consumed them
    }
    each(r, v);
  }
}

const push = <T>(m: Map<number, T[]>, k: number, v: T): void => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/** Reads the run `run` from namespace `prefix`; RR_REPLAY when the namespace holds none of it. */
export async function readRecordedRun(bus: Bus, codec: RecordCodec, prefix: string, run: string): Promise<RecordedRun> {
  const rec: RecordedRun = {
    run,
    generations: new Map(),
    feedback: new Map(),
    scores: new Map(),
    decisions: new Map(),
    order: new Map(),
    lastBatch: -1,
  };
  await decoded(bus, codec, prefix, 'generations', (r, v) => {
    const g = v as Generation;
    if (g.run !== run) return;
    push(rec.generations, g.batch, { raw: { key: r.key, value: r.value! }, value: g });
    g.pairs.forEach((p, index) => {
      if (!rec.order.has(p.pairId)) rec.order.set(p.pairId, { batch: g.batch, promptId: g.promptId, index });
    });
  });
  await decoded(bus, codec, prefix, 'feedback', (r, v) => {
    const f = v as Feedback;
    if (f.run !== run) return;
    push(rec.feedback, f.batch, { raw: { key: r.key, value: r.value! }, value: f });
    if (f.kind === 'BATCH_END') rec.lastBatch = Math.max(rec.lastBatch, f.batch);
  });
  await decoded(bus, codec, prefix, 'scores', (_r, v) => {
    const s = v as { run: string; batch: number; rm: string; pairs: PairScore[]; audit: boolean };
    if (s.run !== run) return;
    for (const p of s.pairs)
      if (!rec.scores.has(scoreKey(s.rm, p.pairId)))
        rec.scores.set(scoreKey(s.rm, p.pairId), { ...p, rm: s.rm, batch: s.batch, audit: s.audit === true });
  });
  await decoded(bus, codec, prefix, 'decisions', (_r, v) => {
    for (const d of pairDecisions(v as Decision)) if (d.run === run && !rec.decisions.has(d.pairId)) rec.decisions.set(d.pairId, d);
  });
  if (rec.generations.size === 0) {
    throw new RouterError('RR_REPLAY', `namespace ${JSON.stringify(prefix)} holds no generations of run ${JSON.stringify(run)}`, {
      field: 'namespace',
    });
  }
  return rec;
}
