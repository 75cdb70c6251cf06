/**
 * The posterior store app: `posterior-deltas` → `posteriors`, exactly once.
 *
 * Restores from `posteriors` (the latest snapshot per RM; the prior for the others), then consumes
 * from the committed offsets. Each delta goes through PosteriorState.apply (core.ts): 'applied' → the
 * RM's full snapshot; 'duplicate' (a redelivery) → nothing; 'gap' (early) → held, its offset pinned so
 * it is not committed before it is applied. One transaction per consumed batch carries the snapshots,
 * the dead letters now due and the offsets. The transactional id is per store instance, so a
 * restarted store fences the one it replaces.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import type { BusBatch, BusConsumer, OutRecord } from '../../src/bus/types.ts';
import { traceRecord, type RecordTrace } from '../../src/telemetry/channels.ts';
import type { PosteriorState } from '../../src/core/state.ts';
import { topicName } from '../../src/records/topics.ts';
import type { AppContext, AppHandle } from '../runtime/context.ts';
import { restoreStore } from '../runtime/stateRestore.ts';
import { StoreCore } from './core.ts';
import { classifyDelta } from './input.ts';
import { TxnQueue } from '../runtime/txnQueue.ts';

export interface StoreOptions {
  /** Names the transactional id `<prefix>store-<instanceId>`; default '0'. Reuse it on restart. */
  instanceId?: string;
  onFatal?: (err: unknown) => void;
}

export interface StoreHandle extends AppHandle {
  /** The live posterior state (read it, never change it). */
  readonly state: PosteriorState;
}

export async function startStoreApp(ctx: AppContext, opts: StoreOptions = {}): Promise<StoreHandle> {
  const { bus, codec, settings: s } = ctx;
  const log = ctx.log.namespace('store');
  const groupId = `${s.prefix}store`;
  // Producer first: fencing the previous incarnation settles its open transaction before the restore reads.
  const producer = await bus.producer({ transactionalId: `${s.prefix}store-${opts.instanceId ?? '0'}` });
  const state = await restoreStore(bus, codec, s);
  log.info('restored', { versions: state.versions });
  const core = new StoreCore(ctx, state);

  let consumer: BusConsumer | null = null;
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    log.error('store stopped', { error: err instanceof Error ? err.message : String(err) });
    void consumer?.close().catch(() => {});
    (opts.onFatal ?? ctx.onFatal)?.(err);
  };
  const queue = new TxnQueue(producer, groupId, fail);

  consumer = await bus.consumer({
    groupId,
    topics: [topicName(s.prefix, 'posterior-deltas')],
    fromBeginning: true,
    autoCommit: false,
    onError: fail,
  });
  await consumer.run((batch) => storeBatch(batch, core, queue, codec, groupId));

  return {
    name: 'store',
    state,
    async close(): Promise<void> {
      await consumer?.close();
      await queue.idle().catch(() => {});
      await producer.close();
    },
    stats: () => ({ ...core.stats, version: state.version, heldNow: core.heldNow, transactions: queue.committed, failed: failed ? 1 : 0 }),
  };
}

/**
 * One consumed batch: each record decoded and accepted by the core, then one transaction with the
 * snapshots it made, the dead letters now due and the offsets; returns once that transaction is done.
 */
async function storeBatch(batch: BusBatch, core: StoreCore, queue: TxnQueue, codec: RecordCodec, groupId: string): Promise<void> {
  const out: Promise<OutRecord>[] = [];
  const traces: RecordTrace[] = [];
  for (const r of batch.records) {
    const input = await classifyDelta(codec, core.state, r);
    if (!core.tracker.take(r)) continue;
    // Traced (src/telemetry/channels.ts): each delta's processing, its snapshots before they are sent; it ends with the transaction.
    const trace = traceRecord('store', groupId, r);
    const from = out.length;
    if (trace !== undefined) traces.push(trace);
    core.accept(r, input, out);
    trace?.outputs(out, from);
  }
  const plan = core.tracker.commitPlan();
  queue.push({
    records: [...out, ...plan.letters],
    offsets: plan.offsets,
    done:
      traces.length === 0
        ? undefined
        : (err) => {
            for (const t of traces) t.end(err);
          },
  });
  await queue.idle();
}
