/**
 * The restore path on Kafka: every record up to the end offsets fetched at call time, through a
 * throwaway consumer group (kafkajs has no manual assignment) that is deleted afterwards.
 *
 * The end is the last stable offset (the admin's ListOffsets is read_committed), so an open
 * transaction never makes it wait. Records are not enough to know when the end is reached: with
 * read_committed the last offsets may be transaction markers or aborted records, which kafkajs
 * filters out of the batch. Its END_BATCH_PROCESS event still reports the batch's last offset
 * (markers included), so a partition is done once that reaches end − 1.
 */
import type { Admin, Kafka } from 'kafkajs';
import { RouterError } from '../../core/errors.ts';
import type { BusRecord, ConsumerTiming, ReadToEndOptions } from '../types.ts';
import { toBusRecord } from './convert.ts';
import type { Naming } from './convert.ts';
import { fetchTopicOffsets } from './retry.ts';

export interface ReadToEndContext {
  kafka: Kafka;
  admin: Admin;
  naming: Naming;
  timing: ConsumerTiming;
  /** A group id unique to this call (counter-based; no randomness). */
  groupId: string;
  /** Lets the bus disconnect the throwaway consumer when it closes mid-read. */
  track?: (consumer: { disconnect(): Promise<void> }) => () => void;
}

export async function readToEnd(ctx: ReadToEndContext, topic: string, opts: ReadToEndOptions = {}): Promise<BusRecord[]> {
  const wire = ctx.naming.topic(topic);
  const ends = await fetchTopicOffsets(ctx.admin, wire);
  /** partition → the offset to reach (exclusive); empty partitions are left out. */
  const targets = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  if (targets.size === 0) return [];

  const byPartition = new Map<number, BusRecord[]>([...targets.keys()].map((p) => [p, []]));
  const pending = new Set(targets.keys());
  const consumer = ctx.kafka.consumer({
    groupId: ctx.groupId,
    readUncommitted: opts.readCommitted === false,
    allowAutoTopicCreation: false,
    ...ctx.timing,
    retry: { restartOnFailure: async () => false },
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let untrack: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(new RouterError('RR_BUS', `readToEnd(${topic}) did not reach the end within ${timeoutMs} ms`, { topic, retriable: true })),
        timeoutMs,
      );
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const target = targets.get(payload.partition);
        if (target !== undefined && BigInt(payload.lastOffset) >= target - 1n) pending.delete(payload.partition);
        if (pending.size === 0) resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        reject(
          new RouterError('RR_BUS', `readToEnd(${topic}) failed: ${payload.error.message}`, {
            topic,
            cause: payload.error,
            retriable: true,
          }),
        ),
      );
      // The bus closing (a supervisor replacing the app, SIGTERM) disconnects it: stop waiting at once.
      // (kafkajs disconnects before it emits CRASH: a turn later, so a crash's own error wins.)
      consumer.on(consumer.events.DISCONNECT, () => {
        setImmediate(() => reject(new RouterError('RR_BUS', `readToEnd(${topic}) stopped: consumer closed`, { topic })));
      });
      untrack = ctx.track?.(consumer);
      const start = async (): Promise<void> => {
        await consumer.connect();
        await consumer.subscribe({ topics: [wire], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const target = targets.get(batch.partition);
            const out = byPartition.get(batch.partition);
            if (target === undefined || out === undefined) return;
            for (const m of batch.messages) {
              // Records appended after the call are not part of this read; duplicates after a rebalance are skipped.
              if (BigInt(m.offset) < target && BigInt(m.offset) > lastOffset(out)) out.push(toBusRecord(topic, batch.partition, m));
            }
          },
        });
      };
      start().catch(reject);
    });
  } finally {
    clearTimeout(timer);
    untrack?.();
    await consumer.disconnect().catch(() => {});
    // Best effort: the group has no members left and nothing committed; it only clutters listings.
    await ctx.admin.deleteGroups([ctx.groupId]).catch(() => {});
  }
  return [...byPartition.keys()].sort((a, b) => a - b).flatMap((p) => byPartition.get(p)!);
}

function lastOffset(records: BusRecord[]): bigint {
  const last = records[records.length - 1];
  return last === undefined ? -1n : BigInt(last.offset);
}
