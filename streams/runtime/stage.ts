/**
 * The consume → per-record pipeline → produce → commit loop that the router,
 * the scorers and the labeler share: a consumer group without auto-commit,
 * the in-flight gate (backpressure), `processBatches`, and the counters every
 * stage reports (records in flight, the most seen, records done, dead letters).
 */
import { map, Subscription, type OperatorFunction } from 'rxjs';
import { consumeBatches, type AckableBatch } from '../../src/bus/flow.ts';
import type { BusProducer, BusRecord } from '../../src/bus/types.ts';
import { processBatches, type ProcessIo, type RecordOutput } from '../../src/operators/processBatches.ts';
import { traceRecords } from '../../src/operators/traceRecords.ts';
import { recordTracer, tracingRecords } from '../../src/telemetry/channels.ts';
import { topicName } from '../../src/records/topics.ts';
import type { AppContext } from './context.ts';

export interface StageOptions {
  /** For logs, e.g. `router`, `scorer.gpt-4.1 (judge)`. */
  name: string;
  groupId: string;
  topics: string[];
  /** Most records per in-process batch (default maxInFlight / 2). */
  maxBatchSize?: number;
  perRecord: OperatorFunction<BusRecord, RecordOutput>;
  holdBack?: ProcessIo['holdBack'];
}

export interface StageCounters {
  inFlight: number;
  maxInFlightSeen: number;
  records: number;
  deadLettered: number;
}

export interface Stage {
  readonly counters: StageCounters;
  close(): Promise<void>;
}

export async function runStage(ctx: AppContext, producer: BusProducer, o: StageOptions): Promise<Stage> {
  const { bus, settings: s } = ctx;
  const log = ctx.log.namespace(o.name);
  const dlq = topicName(s.prefix, 'dlq');
  const counters: StageCounters = { inFlight: 0, maxInFlightSeen: 0, records: 0, deadLettered: 0 };
  const fatal =
    (what: string) =>
    (err: unknown): void => {
      log.error(what, { err: String(err) });
      ctx.onFatal?.(err);
    };
  const consumer = await bus.consumer({
    groupId: o.groupId,
    topics: o.topics,
    fromBeginning: true,
    autoCommit: false,
    maxBatchSize: o.maxBatchSize ?? Math.max(1, Math.floor(s.maxInFlight / 2)),
    onError: fatal('consumer stopped'),
  });
  const sub = new Subscription();
  let running: Promise<void> = Promise.resolve();
  sub.add(
    consumeBatches(consumer, {
      maxInFlight: s.maxInFlight,
      onRun: (p) => {
        running = p;
      },
    })
      .pipe(
        // Counted where the gate counts (emit → ack), so the figure is the gate's own in-flight count.
        map((b): AckableBatch => {
          const n = b.records.length;
          counters.inFlight += n;
          counters.maxInFlightSeen = Math.max(counters.maxInFlightSeen, counters.inFlight);
          let acked = false;
          return {
            ...b,
            ack: () => {
              if (!acked) {
                acked = true;
                counters.inFlight -= n;
                counters.records += n;
              }
              b.ack();
            },
          };
        }),
        // Traced (src/telemetry/channels.ts): each record's processing is published, its outputs before they are sent.
        processBatches(tracingRecords() ? traceRecords(recordTracer(o.name, o.groupId), o.perRecord) : o.perRecord, {
          send: async (out) => {
            counters.deadLettered += out.filter((r) => r.topic === dlq).length;
            await producer.send(out);
          },
          // A failed commit (coordinator gone, rebalance) is the app's failure, never an unhandled rejection:
          // the offsets stay uncommitted and the next incarnation re-reads from the last good commit.
          commit: (offsets) => consumer.commit(offsets).catch(fatal('commit failed')),
          holdBack: o.holdBack,
        }),
      )
      .subscribe({
        error: fatal('pipeline failed'),
      }),
  );
  // Started means joined: the supervisor counts an outage as over only once the group is joined.
  await running.catch(async (err: unknown) => {
    sub.unsubscribe();
    await consumer.close().catch(() => {});
    throw err;
  });
  return {
    counters,
    async close() {
      sub.unsubscribe();
      await consumer.close();
    },
  };
}
