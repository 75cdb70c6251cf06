/**
 * The router app: generations in; one Decision per pair and one ScoringRequest
 * per (prompt, RM) out. Batch t is routed with the replica's posterior of
 * version t − lag (waiting up to `posteriorWaitMs`); bad pairs go to `dlq`
 * while the valid pairs of the same record are routed; offsets are committed
 * after the outputs are sent (at-least-once; downstream dedupes by pairId).
 */
import { Subscription, tap, type SchedulerLike } from 'rxjs';
import { consumeBatches, type AckableBatch } from '../src/bus/flow.ts';
import type { BusProducer, OutRecord } from '../src/bus/types.ts';
import { CounterRng } from '../src/core/rng.ts';
import { awaitPosterior } from '../src/operators/awaitPosterior.ts';
import { deadLetterOn } from '../src/operators/deadLetterOn.ts';
import { decodeRecords } from '../src/operators/decodeRecords.ts';
import { processBatches } from '../src/operators/processBatches.ts';
import { routePairs, type RoutedPrompt } from '../src/operators/routePairs.ts';
import { validateGeneration } from '../src/operators/validateGeneration.ts';
import { recordKey, requestsTopics, topicName } from '../src/records/topics.ts';
import type { AppContext, AppHandle } from './context.ts';
import { deadLetter } from './deadLetter.ts';
import { PosteriorReplica } from './posteriorReplica.ts';

export interface RouterOptions {
  /** Names this instance's replica group (one per router instance). Default `0`. */
  instance?: string;
  /** Timer of the posterior wait (tests inject a virtual one). */
  scheduler?: SchedulerLike;
  /** Most records per in-process batch (default maxInFlight / 2). */
  maxBatchSize?: number;
}

export interface RouterHandle extends AppHandle {
  readonly replica: PosteriorReplica;
}

export async function startRouterApp(ctx: AppContext, opts: RouterOptions = {}): Promise<RouterHandle> {
  const { bus, codec, clock, settings: s } = ctx;
  const log = ctx.log.namespace('router');
  const stats = { routed: 0, deadLettered: 0, inFlight: 0, maxInFlightSeen: 0, waitedMs: 0, timedOut: 0, records: 0 };
  const producer: BusProducer = await bus.producer();
  const stage = { codec, clock, prefix: s.prefix, stage: 'router' };
  const replica = new PosteriorReplica(s, codec, {
    onReject: (record, err) => {
      stats.deadLettered++;
      void deadLetter(codec, clock, s.prefix, 'router', record, err).then((letter) => producer.send([letter])).catch((e: unknown) => log.error('dead letter failed', { err: String(e) }));
    },
  });
  await replica.start(bus, `${s.prefix}router-replica-${opts.instance ?? '0'}`);

  const reqTopics = requestsTopics(s.prefix, s.arms);
  const encodeRouted = async (routed: RoutedPrompt): Promise<OutRecord[]> => {
    const out: OutRecord[] = [];
    for (const d of routed.decisions) out.push({ topic: topicName(s.prefix, 'decisions'), key: Buffer.from(recordKey('decisions', d) as string), value: await codec.encode('decisions', d) });
    for (const r of routed.requests) out.push({ topic: reqTopics.get(r.rm)!, key: Buffer.from(recordKey('requests', r) as string), value: await codec.encode('requests', r) });
    stats.routed += routed.decisions.length;
    return out;
  };

  const consumer = await bus.consumer({
    groupId: `${s.prefix}router`, topics: [topicName(s.prefix, 'generations')], fromBeginning: true, autoCommit: false,
    maxBatchSize: opts.maxBatchSize ?? Math.max(1, Math.floor(s.maxInFlight / 2)),
    onError: (err) => log.error('consumer stopped', { err: String(err) }),
  });
  const rng = new CounterRng(s.seed, s.run);
  const seen = new Set<string>();
  const counted = (b: AckableBatch): void => {
    stats.inFlight += b.records.length;
    stats.maxInFlightSeen = Math.max(stats.maxInFlightSeen, stats.inFlight);
  };
  const sub = new Subscription();
  const batches$ = consumeBatches(consumer, { maxInFlight: s.maxInFlight });
  sub.add(batches$.pipe(
    tap(counted),
    processBatches((records$) => records$.pipe(
      decodeRecords(codec, 'generations'),
      validateGeneration({ run: s.run, prior: s.prior, seen }),
      awaitPosterior({ versions: replica.version$, required: (w) => (w.value ? w.value.generation.batch - s.lag : -Infinity), maxWaitMs: s.posteriorWaitMs, scheduler: opts.scheduler }),
      tap((r) => { stats.waitedMs += r.waitedMs; if (r.timedOut) stats.timedOut++; }),
      routePairs({ run: s.run, seed: s.seed, lag: s.lag, arms: s.arms, d: s.prior.d, rng, clock, posteriors: (v) => replica.at(v) }),
      deadLetterOn(stage, encodeRouted),
    ), {
      send: async (out) => { stats.deadLettered += out.filter((r) => r.topic === topicName(s.prefix, 'dlq')).length; await producer.send(out); },
      commit: (offsets) => consumer.commit(offsets),
    }),
  ).subscribe({
    next: (n) => { stats.inFlight -= n; stats.records += n; },
    error: (err: unknown) => log.error('router pipeline failed', { err: String(err) }),
  }));

  return {
    name: 'router',
    replica,
    stats: () => ({ ...stats, posteriorVersion: replica.version$.value }),
    async close() {
      sub.unsubscribe();
      await consumer.close();
      await replica.close();
      await producer.close();
    },
  };
}
