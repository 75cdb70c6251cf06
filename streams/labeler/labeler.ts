/**
 * The labeler app: collects every prompt's scores (all RMs) until its
 * `promptPairs` distinct pairs are in, keeps `keepPerPrompt` decisive pairs
 * (a seeded draw per pair id, the same as the eval loop's), and produces one Label per prompt. A pair with a
 * NaN/Inf score is dead-lettered and counts as not decisive, so its prompt
 * still completes; so does a pair its RM could not score (`unscored`, dead-lettered by the scorer).
 * Audit scores (shadow scoring, `Score.audit`) are skipped and counted.
 */
import { Subject, map, tap } from 'rxjs';
import { codecError } from '../../src/avro/errors.ts';
import { keepKeys } from '../../src/core/keep.ts';
import type { OutRecord } from '../../src/bus/types.ts';
import { collectPrompt, type PromptScores } from '../../src/operators/collectPrompt.ts';
import { deadLetterOn } from '../../src/operators/deadLetterOn.ts';
import { decodeRecords } from '../../src/operators/decodeRecords.ts';
import { keepDecisive } from '../../src/operators/keepDecisive.ts';
import type { Work } from '../../src/operators/types.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { Label, Score } from '../../src/records/types.ts';
import type { AppContext, AppHandle } from '../runtime/context.ts';
import { runStage } from '../runtime/stage.ts';
import { dlqValueBytes } from '../runtime/topics.ts';

/** Marks unusable pairs and rejects them (NON_FINITE); a v0 score without prompt size is rejected whole. */
function checkScore(work: Work<Score>): Work<PromptScores> {
  const sc = work.value;
  if (sc === undefined) return { ...work, value: undefined };
  const rejected = [...work.rejected];
  if (sc.promptPairs < 1) {
    rejected.push({
      record: work.record,
      error: codecError(
        'RR_INVALID_RECORD',
        'INVALID_RECORD',
        `score of ${sc.promptId} has no prompt size (promptPairs ${sc.promptPairs})`,
      ),
      reason: 'INVALID_RECORD',
    });
    return { record: work.record, value: undefined, rejected };
  }
  const pairs = sc.pairs.map((p) => {
    // Unscored by its RM (Score.pairs[].unscored): the scorer dead-lettered it already; not decisive.
    if (p.unscored != null) return { pairId: p.pairId, index: p.index, rm: sc.rm, scoreA: p.scoreA, scoreB: p.scoreB, usable: false };
    const usable = Number.isFinite(p.scoreA) && Number.isFinite(p.scoreB);
    if (!usable)
      rejected.push({
        record: work.record,
        error: codecError('RR_INVALID_RECORD', 'NON_FINITE', `pair ${p.pairId}: scores ${p.scoreA}, ${p.scoreB}`, { pairId: p.pairId }),
        reason: 'NON_FINITE',
      });
    return { pairId: p.pairId, index: p.index, rm: sc.rm, scoreA: p.scoreA, scoreB: p.scoreB, usable };
  });
  return {
    record: work.record,
    value: { run: sc.run, batch: sc.batch, promptId: sc.promptId, promptPairs: sc.promptPairs, pairs },
    rejected,
  };
}

export async function startLabelerApp(ctx: AppContext, opts: { maxBatchSize?: number } = {}): Promise<AppHandle> {
  const { bus, codec, clock, settings: s } = ctx;
  const stats = { labels: 0, kept: 0, unscored: 0, auditScores: 0, auditPairs: 0 };
  const producer = await bus.producer();
  // collectPrompt keeps its prompts across records, so it runs on one long-lived
  // stream; each record pushes its part in and picks up what completed, synchronously.
  const parts = new Subject<PromptScores>();
  const completed: Label[] = [];
  // Where each open (incomplete) prompt's first score sits: commits stay below it, so a crash
  // mid-prompt re-reads the prompt's scores instead of losing them (at-least-once).
  const openAt = new Map<string, { partition: number; offset: bigint }>();
  let current: { partition: number; offset: bigint } | null = null;
  const collect = collectPrompt({
    onOpen: (key) => {
      if (current) openAt.set(key, current);
    },
    onDone: (key) => openAt.delete(key),
  });
  const labelSub = parts
    .pipe(collect, keepDecisive({ tieEps: s.tieEps, keepPerPrompt: s.keepPerPrompt, key: keepKeys(s.seed, s.run) }))
    .subscribe((l) => completed.push(l));
  // Shadow scoring's audit scores are recorded for replay and what-if, never labelled: they neither
  // complete a prompt nor reach a Label (an unscored audit pair was dead-lettered by its scorer).
  const skipAudit = (work: Work<Score>): Work<Score> => {
    if (work.value?.audit !== true) return work;
    stats.auditScores++;
    stats.auditPairs += work.value.pairs.length;
    return { ...work, value: undefined };
  };
  const holdBack = (_topic: string, partition: number): bigint | undefined => {
    let min: bigint | undefined;
    for (const o of openAt.values()) if (o.partition === partition && (min === undefined || o.offset < min)) min = o.offset;
    return min;
  };
  const runner = await runStage(ctx, producer, {
    name: 'labeler',
    groupId: `${s.prefix}labeler`,
    topics: [topicName(s.prefix, 'scores')],
    maxBatchSize: opts.maxBatchSize,
    holdBack,
    perRecord: (records$) =>
      records$.pipe(
        decodeRecords(codec, 'scores'),
        map(skipAudit),
        tap((work) => {
          for (const p of work.value?.pairs ?? []) if (p.unscored != null) stats.unscored++;
        }),
        map(checkScore),
        tap((work) => {
          current = { partition: work.record.partition, offset: BigInt(work.record.offset) };
        }),
        deadLetterOn({ codec, clock, prefix: s.prefix, stage: 'labeler', maxValueBytes: dlqValueBytes(s) }, (prompt) => {
          parts.next(prompt);
          const labels = completed.splice(0);
          return Promise.all(
            labels.map(async (l): Promise<OutRecord> => {
              stats.labels++;
              stats.kept += l.pairs.length;
              return {
                topic: topicName(s.prefix, 'labels'),
                key: Buffer.from(recordKey('labels', l) as string),
                value: await codec.encode('labels', l),
              };
            }),
          );
        }),
      ),
  });

  return {
    name: 'labeler',
    stats: () => ({ ...stats, ...runner.counters, openPrompts: openAt.size }),
    async close() {
      await runner.close();
      labelSub.unsubscribe();
      await producer.close();
    },
  };
}
