/**
 * The aggregator app: `decisions` + `feedback` → `posterior-deltas`, exactly once.
 *
 * Restore first (stateRestore.ts: last closed batch and the normalizer's history), then consume
 * from the committed offsets. LOSS records are windowed by batch (windowByBatch: strict batch
 * order, close on BATCH_END when complete or `graceMs` after it); each close becomes ONE
 * transaction with the batch's deltas (one per RM), the dead letters now due and the offsets that
 * are safe to commit (aggregatorCore.ts / offsetTracker.ts). See docs/streams.md.
 */
import { Subject } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { BusConsumer } from '../../src/bus/types.ts';
import { windowByBatch, type WindowInput } from '../../src/operators/windowByBatch.ts';
import { topicName } from '../../src/records/topics.ts';
import { AggregatorCore, type LossItem } from './core.ts';
import { classifyInput } from './input.ts';
import type { AppContext, AppHandle } from '../runtime/context.ts';
import { restoreAggregator } from '../runtime/stateRestore.ts';
import { traceClose } from './trace.ts';
import { TxnQueue } from '../runtime/txnQueue.ts';

export interface AggregatorOptions {
  /** Runs the grace timers (default: RxJS asyncScheduler; a TestScheduler or VirtualTimeScheduler in tests). */
  scheduler?: SchedulerLike;
  /** Called once when the app cannot go on (a failed transaction, a fenced producer, a consumer crash). */
  onFatal?: (err: unknown) => void;
}

/**
 * The windows of LOSS records by batch (windowByBatch): each closed window becomes one transaction
 * (core.close, traced), a refused item is counted; any failure is fatal.
 */
function closeWindows(
  ctx: AppContext,
  opts: AggregatorOptions,
  core: AggregatorCore,
  lastClosed: number,
  input: Subject<WindowInput<LossItem>>,
  queue: TxnQueue,
  fail: (err: unknown) => void,
): Subscription {
  const s = ctx.settings;
  const log = ctx.log.namespace('aggregator');
  return input
    .pipe(
      windowByBatch<LossItem>({
        graceMs: s.graceMs,
        firstBatch: lastClosed + 1,
        key: (i) => i.pairId,
        scheduler: opts.scheduler,
        ready: (batch, items) => core.decided(batch, items),
      }),
    )
    .subscribe({
      next: (ev) => {
        try {
          if (ev.kind === 'window') {
            if (ev.missingEnd) {
              core.stats.missingEnd++;
              log.warn('batch closed without its BATCH_END', { batch: ev.batch, losses: ev.items.length, graceMs: s.graceMs });
            }
            const box = core.close(ev.batch, ev.items, ev.timedOut);
            queue.push(traceClose(box, box.closed, topicName(s.prefix, 'posterior-deltas')));
          } else core.refused(ev.kind, ev.batch, ev.item);
        } catch (err) {
          fail(err);
        }
      },
      error: fail,
    });
}

export async function startAggregatorApp(ctx: AppContext, opts: AggregatorOptions = {}): Promise<AppHandle> {
  const s = ctx.settings;
  const log = ctx.log.namespace('aggregator');
  const decisionsTopic = topicName(s.prefix, 'decisions');
  const groupId = `${s.prefix}aggregator`;
  // The producer first: initializing its transactional id fences an earlier incarnation and aborts
  // its open transaction, so the restore below reads a settled log.
  const producer = await ctx.bus.producer({ transactionalId: `${s.prefix}aggregator-${s.run}` });
  const restored = await restoreAggregator(ctx.bus, ctx.codec, s);
  if (restored.mismatches.length > 0) {
    log.warn('replayed rewards differ from the recorded deltas (feedback missing?)', { batches: restored.mismatches });
  }
  log.info('restored', { lastClosed: restored.lastClosed });
  const core = new AggregatorCore(ctx, restored, s.prior.d);

  let consumer: BusConsumer | null = null;
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    log.error('aggregator stopped', { error: err instanceof Error ? err.message : String(err) });
    void consumer?.close().catch(() => {});
    (opts.onFatal ?? ctx.onFatal)?.(err);
  };
  const queue = new TxnQueue(producer, groupId, fail);
  const input = new Subject<WindowInput<LossItem>>();
  const windows = closeWindows(ctx, opts, core, restored.lastClosed, input, queue, fail);

  consumer = await ctx.bus.consumer({
    groupId,
    topics: [decisionsTopic, topicName(s.prefix, 'feedback')],
    fromBeginning: true,
    autoCommit: false,
    onError: fail,
  });
  await consumer.run(async (batch) => {
    for (const r of batch.records) {
      const classified = await classifyInput(ctx.codec, s, s.prior.d, decisionsTopic, r);
      // take + accept in one synchronous step: a grace close in between would commit past an unseen record.
      if (!core.tracker.take(r)) continue;
      const ev = core.accept(r, classified);
      if (ev !== null) input.next(ev);
    }
    input.next({ kind: 'poke' }); // decisions of this fetch may complete a waiting window
    const due = core.flush();
    if (due !== null) queue.push(due);
    await queue.idle();
  });

  return {
    name: 'aggregator',
    async close(): Promise<void> {
      windows.unsubscribe(); // no grace close after this point; open windows are consumed again on restart
      await consumer?.close();
      await queue.idle().catch(() => {});
      await producer.close();
    },
    stats: () => ({
      ...core.stats,
      lastClosed: core.lastClosed,
      pendingDeadLetters: core.tracker.pendingLetters,
      transactions: queue.committed,
      failed: failed ? 1 : 0,
    }),
  };
}
