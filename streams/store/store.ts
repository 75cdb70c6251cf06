/**
 * The posterior store app: `posterior-deltas` → `posteriors`, exactly once.
 *
 * Restores from `posteriors` (the latest snapshot per RM; the prior for the others), then consumes
 * from the committed offsets. Each delta goes through PosteriorState.apply: 'applied' → the RM's full
 * snapshot; 'duplicate' (a redelivery) → nothing; 'gap' (early) → held, its offset pinned so it is
 * not committed before it is applied. One transaction per consumed batch carries the snapshots,
 * the dead letters now due and the offsets. The transactional id is per store instance, so a
 * restarted store fences the one it replaces.
 */
import type { BusConsumer, OutRecord } from '../../src/bus/types.ts';
import { traceRecord, type RecordTrace } from '../../src/telemetry/channels.ts';
import type { PosteriorDelta } from '../../src/core/delta.ts';
import type { PosteriorState } from '../../src/core/state.ts';
import { topicName } from '../../src/records/topics.ts';
import type { AppContext, AppHandle } from '../runtime/context.ts';
import { deadLetter } from '../../src/operators/deadLetter.ts';
import { OffsetTracker } from '../runtime/offsetTracker.ts';
import { toSnapshotRecord } from '../runtime/snapshotRecord.ts';
import { restoreStore } from '../runtime/stateRestore.ts';
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
  const { bus, codec, clock, settings: s } = ctx;
  const log = ctx.log.namespace('store');
  const groupId = `${s.prefix}store`;
  const posteriors = topicName(s.prefix, 'posteriors');
  // Producer first: fencing the previous incarnation settles its open transaction before the restore reads.
  const producer = await bus.producer({ transactionalId: `${s.prefix}store-${opts.instanceId ?? '0'}` });
  const state = await restoreStore(bus, codec, s);
  log.info('restored', { versions: state.versions });
  const tracker = new OffsetTracker();
  const stats = { in: 0, applied: 0, duplicates: 0, held: 0, deadLetters: 0, foreign: 0, snapshots: 0 };
  /** Per arm: early deltas by batch, with the pin tag of their record. */
  const held = state.arms.map(() => new Map<number, { delta: PosteriorDelta; tag: number }>());
  let nextTag = 0;

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

  const snapshotOf = async (k: number): Promise<OutRecord> => {
    stats.snapshots++;
    const value = await codec.encode('posteriors', toSnapshotRecord(state.snapshot(k)));
    return { topic: posteriors, key: Buffer.from(state.arms[k]!), value };
  };
  /** Applies a delta and then whatever it unblocks; returns the snapshots to send. */
  const apply = (k: number, delta: PosteriorDelta, out: Promise<OutRecord>[]): 'applied' | 'duplicate' | 'gap' => {
    const result = state.apply(delta);
    if (result !== 'applied') return result;
    stats.applied++;
    out.push(snapshotOf(k));
    for (let next = held[k]!.get(state.versions[k]! + 1); next !== undefined; next = held[k]!.get(state.versions[k]! + 1)) {
      held[k]!.delete(next.delta.batch);
      tracker.release(next.tag);
      state.apply(next.delta);
      stats.applied++;
      out.push(snapshotOf(k));
    }
    return 'applied';
  };

  consumer = await bus.consumer({ groupId, topics: [topicName(s.prefix, 'posterior-deltas')], fromBeginning: true,
    autoCommit: false, onError: fail });
  await consumer.run(async (batch) => {
    const out: Promise<OutRecord>[] = [];
    const traces: RecordTrace[] = [];
    for (const r of batch.records) {
      const input = await classifyDelta(codec, state, r);
      if (!tracker.take(r)) continue;
      // Traced (src/telemetry/channels.ts): each delta's processing, its snapshots before they are sent; it ends with the transaction.
      const trace = traceRecord('store', groupId, r);
      const from = out.length;
      if (trace !== undefined) traces.push(trace);
      stats.in++;
      if (input.kind === 'foreign') stats.foreign++;
      else if (input.kind === 'dead') {
        stats.deadLetters++;
        tracker.deadLetter(r, deadLetter(codec, clock, s.prefix, 'store', r, input.err));
      } else {
        const result = apply(input.arm, input.delta, out);
        if (result === 'duplicate') stats.duplicates++;
        if (result === 'gap' && !held[input.arm]!.has(input.delta.batch)) {
          const tag = nextTag++;
          held[input.arm]!.set(input.delta.batch, { delta: input.delta, tag });
          tracker.pin(r, tag);
          stats.held++;
        }
      }
      trace?.outputs(out, from);
    }
    const plan = tracker.commitPlan();
    queue.push({ records: [...out, ...plan.letters], offsets: plan.offsets,
      done: traces.length === 0 ? undefined : (err) => { for (const t of traces) t.end(err); } });
    await queue.idle();
  });

  return {
    name: 'store',
    state,
    async close(): Promise<void> {
      await consumer?.close();
      await queue.idle().catch(() => {});
      await producer.close();
    },
    stats: () => ({ ...stats, version: state.version, heldNow: held.reduce((n, h) => n + h.size, 0),
      transactions: queue.committed, failed: failed ? 1 : 0 }),
  };
}
