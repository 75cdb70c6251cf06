/**
 * The consume → per-record pipeline → produce → commit loop that the router,
 * the scorers and the labeler share: a consumer group without auto-commit,
 * the in-flight gate (backpressure), `processBatches`, and the counters every
 * stage reports (records in flight, the most seen, records done, dead letters).
 */
import { Subscription, tap, type OperatorFunction } from 'rxjs';
import { consumeBatches } from '../src/bus/flow.ts';
import type { BusProducer, BusRecord } from '../src/bus/types.ts';
import { processBatches, type ProcessIo, type RecordOutput } from '../src/operators/processBatches.ts';
import { topicName } from '../src/records/topics.ts';
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
  const consumer = await bus.consumer({
    groupId: o.groupId, topics: o.topics, fromBeginning: true, autoCommit: false,
    maxBatchSize: o.maxBatchSize ?? Math.max(1, Math.floor(s.maxInFlight / 2)),
    onError: (err) => log.error('consumer stopped', { err: String(err) }),
  });
  const sub = new Subscription();
  sub.add(consumeBatches(consumer, { maxInFlight: s.maxInFlight }).pipe(
    tap((b) => {
      counters.inFlight += b.records.length;
      counters.maxInFlightSeen = Math.max(counters.maxInFlightSeen, counters.inFlight);
    }),
    processBatches(o.perRecord, {
      send: async (out) => {
        counters.deadLettered += out.filter((r) => r.topic === dlq).length;
        await producer.send(out);
      },
      commit: (offsets) => consumer.commit(offsets),
      holdBack: o.holdBack,
    }),
  ).subscribe({
    next: (n) => { counters.inFlight -= n; counters.records += n; },
    error: (err: unknown) => log.error('pipeline failed', { err: String(err) }),
  }));
  return {
    counters,
    async close() {
      sub.unsubscribe();
      await consumer.close();
    },
  };
}
