/**
 * The router app: generations in; one Decision per prompt (v2) and one ScoringRequest
 * per (prompt, RM) out. Batch t is routed with the replica's posterior of
 * version t − lag (waiting up to `posteriorWaitMs`); bad pairs go to `dlq`
 * while the valid pairs of the same record are routed; offsets are committed
 * after the outputs are sent (at-least-once; downstream dedupes by pairId).
 */
import { tap, type SchedulerLike } from 'rxjs';
import type { BusProducer, OutRecord } from '../../src/bus/types.ts';
import { CounterRng } from '../../src/core/rng.ts';
import { shadowPicker } from '../../src/core/shadow.ts';
import { checkPriorEncoder } from '../../src/encoder/check.ts';
import { loadPairEncoder } from '../../src/encoder/index.ts';
import type { PairEncoder } from '../../src/encoder/types.ts';
import { addAuditRequests } from '../../src/operators/addAuditRequests.ts';
import { awaitPosterior } from '../../src/operators/awaitPosterior.ts';
import { deadLetterOn } from '../../src/operators/deadLetterOn.ts';
import { decodeRecords } from '../../src/operators/decodeRecords.ts';
import { embedGenerations } from '../../src/operators/embedGenerations.ts';
import { routePairs, type RoutedPrompt } from '../../src/operators/routePairs.ts';
import { limitInput } from '../../src/operators/limitInput.ts';
import { validateGeneration } from '../../src/operators/validateGeneration.ts';
import { traceDecisions } from '../../src/telemetry/channels.ts';
import { recordKey, requestsTopics, topicName } from '../../src/records/topics.ts';
import type { AppContext, AppHandle, LoopSettings } from '../runtime/context.ts';
import { deadLetter } from '../../src/operators/deadLetter.ts';
import { runStage, type StageOptions } from '../runtime/stage.ts';
import { PosteriorReplica } from './posteriorReplica.ts';
import { BoundedSet } from './boundedSet.ts';
import { dlqValueBytes } from '../runtime/topics.ts';

export interface RouterOptions {
  /** Names this instance's replica group (one per router instance). Default `0`. */
  instance?: string;
  /** Timer of the posterior wait (tests inject a virtual one). */
  scheduler?: SchedulerLike;
  /** Most records per in-process batch (default maxInFlight / 2). */
  maxBatchSize?: number;
  /**
   * Text encoder for generations whose pairs come without a vector. Default: loaded from
   * `settings.encoder` (a model directory) when set, else none (vectors must be supplied).
   */
  encoder?: PairEncoder | null;
}

export interface RouterHandle extends AppHandle {
  readonly replica: PosteriorReplica;
}

type RouterStats = { routed: number; waitedMs: number; timedOut: number; replicaDeadLettered: number; auditRequests: number };

/**
 * The text encoder (injected, or loaded from settings.encoder and then owned here); a prior from
 * another encoder's space is refused before anything starts.
 */
async function openEncoder(
  s: LoopSettings,
  injected: PairEncoder | null | undefined,
): Promise<{ encoder: PairEncoder | null; owned: boolean }> {
  const owned = injected === undefined && s.encoder !== undefined;
  const encoder = owned ? await loadPairEncoder(s.encoder!) : (injected ?? null);
  try {
    checkPriorEncoder(s.prior, encoder?.info ?? null);
  } catch (err) {
    if (owned) await encoder?.close();
    throw err;
  }
  return { encoder, owned };
}

/** The posterior replica, following `posteriors` in a group of this instance's; bad snapshots are dead-lettered. */
async function startReplica(ctx: AppContext, producer: BusProducer, stats: RouterStats, instance: string): Promise<PosteriorReplica> {
  const { bus, codec, clock, settings: s } = ctx;
  const log = ctx.log.namespace('router');
  const replica = new PosteriorReplica(s, codec, {
    onReject: (record, err) => {
      stats.replicaDeadLettered++;
      void deadLetter(codec, clock, s.prefix, 'router', record, err, undefined, dlqValueBytes(s))
        .then((letter) => producer.send([letter]))
        .catch((e: unknown) => log.error('dead letter failed', { err: String(e) }));
    },
  });
  // Replica groups of routers that died without closing (SIGKILL) are empty: remove them.
  const stale = (await bus.emptyGroups?.(`${s.prefix}router-replica-`).catch(() => [])) ?? [];
  if (stale.length > 0) await bus.deleteGroups?.(stale).catch(() => {});
  await replica.start(bus, `${s.prefix}router-replica-${instance}`, (err) => {
    log.error('replica consumer stopped', { err: String(err) });
    ctx.onFatal?.(err);
  });
  return replica;
}

/** A routed prompt's records: its Decision, then one ScoringRequest per (prompt, RM), audits included. */
function routedRecords(ctx: AppContext, stats: RouterStats): (routed: RoutedPrompt) => Promise<OutRecord[]> {
  const { codec, settings: s } = ctx;
  const reqTopics = requestsTopics(s.prefix, s.arms);
  return async (routed) => {
    const out: OutRecord[] = [];
    for (const d of routed.decisions)
      out.push({
        topic: topicName(s.prefix, 'decisions'),
        key: Buffer.from(recordKey('decisions', d) as string),
        value: await codec.encode('decisions', d),
      });
    for (const r of routed.requests)
      out.push({
        topic: reqTopics.get(r.rm)!,
        key: Buffer.from(recordKey('requests', r) as string),
        value: await codec.encode('requests', r),
      });
    for (const r of routed.requests) if (r.audit === true) stats.auditRequests++;
    stats.routed += routed.decisions.reduce((n, d) => n + (d.pairs?.length ?? 1), 0);
    return out;
  };
}

/** Per record: decode, limit, embed, validate, wait for the required posterior, route, audit, send or dead-letter. */
function routerPipeline(
  ctx: AppContext,
  opts: RouterOptions,
  encoder: PairEncoder | null,
  replica: PosteriorReplica,
  stats: RouterStats,
): StageOptions['perRecord'] {
  const { codec, clock, settings: s } = ctx;
  const rng = new CounterRng(s.seed, s.run);
  const seen = new BoundedSet<string>(s.reliability.dedupePairs);
  // Prompt ids as well (DUPLICATE_PROMPT), bounded by the same setting.
  const seenPrompts = new BoundedSet<string>(s.reliability.dedupePairs);
  const stage = { codec, clock, prefix: s.prefix, stage: 'router', maxValueBytes: dlqValueBytes(s) };
  return (records$) =>
    records$
      .pipe(
        decodeRecords(codec, 'generations'),
        limitInput(s.limits),
        embedGenerations(encoder),
        validateGeneration({ run: s.run, prior: s.prior, seen, seenPrompts, limits: s.limits }),
        awaitPosterior({
          versions: replica.version$,
          required: (w) => (w.value ? w.value.generation.batch - s.lag : -Infinity),
          maxWaitMs: s.posteriorWaitMs,
          scheduler: opts.scheduler,
        }),
        tap((r) => {
          stats.waitedMs += r.waitedMs;
          if (r.timedOut) stats.timedOut++;
        }),
      )
      .pipe(
        routePairs({
          run: s.run,
          seed: s.seed,
          lag: s.lag,
          arms: s.arms,
          d: s.prior.d,
          rng,
          clock,
          posteriors: (v) => replica.at(v),
          selection: s.selection,
        }),
        // Traced: the decisions are published (a `route pair` span per pair under the record's span).
        tap((work) => traceDecisions('router', work.record, work.value?.decisions)),
        // Shadow scoring: audit requests after the routed ones, on a draw of its own (routing untouched).
        addAuditRequests({ arms: s.arms, isShadow: shadowPicker(s.seed, s.run, s.shadow?.fraction ?? 0) }),
        deadLetterOn(stage, routedRecords(ctx, stats)),
      );
}

export async function startRouterApp(ctx: AppContext, opts: RouterOptions = {}): Promise<RouterHandle> {
  const { bus, settings: s } = ctx;
  const { encoder, owned } = await openEncoder(s, opts.encoder);
  const stats: RouterStats = { routed: 0, waitedMs: 0, timedOut: 0, replicaDeadLettered: 0, auditRequests: 0 };
  const producer: BusProducer = await bus.producer();
  const replica = await startReplica(ctx, producer, stats, opts.instance ?? '0');
  const runner = await runStage(ctx, producer, {
    name: 'router',
    groupId: `${s.prefix}router`,
    topics: [topicName(s.prefix, 'generations')],
    maxBatchSize: opts.maxBatchSize,
    perRecord: routerPipeline(ctx, opts, encoder, replica, stats),
  });

  return {
    name: 'router',
    replica,
    stats: () => {
      const { replicaDeadLettered, ...own } = stats;
      const c = runner.counters;
      return { ...own, ...c, deadLettered: c.deadLettered + replicaDeadLettered, posteriorVersion: replica.version$.value };
    },
    async close() {
      await runner.close();
      await replica.close(bus.deleteGroups ? (g) => bus.deleteGroups!([g]) : undefined);
      await producer.close();
      if (owned) await encoder?.close();
    },
  };
}
