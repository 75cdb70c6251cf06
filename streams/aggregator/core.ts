/**
 * The aggregator's state, with no I/O: the decisions still needed, the offsets and dead letters
 * (OffsetTracker), the normalizer, and what a window close turns into. Every method is synchronous,
 * so each call sees and leaves a consistent state however timers and fetches interleave; the app
 * (aggregator.ts) only decodes, runs the transactions and wires the windowing operator.
 */
import type { BusRecord, OutRecord } from '../../src/bus/types.ts';
import { buildDeltas } from '../../src/core/delta.ts';
import type { QuantileNormalizer } from '../../src/core/normalize.ts';
import type { WindowInput } from '../../src/operators/windowByBatch.ts';
import { topicName } from '../../src/records/topics.ts';
import type { DeadLetterReason, PosteriorDelta } from '../../src/records/types.ts';
import type { AggregatorInput, KeptDecision } from './input.ts';
import type { AppContext } from '../runtime/context.ts';
import { deadLetter } from '../../src/operators/deadLetter.ts';
import { OffsetTracker } from '../runtime/offsetTracker.ts';
import type { Outbox } from '../runtime/txnQueue.ts';
import type { AggregatorRestore } from '../runtime/stateRestore.ts';
import { dlqValueBytes } from '../runtime/topics.ts';

export interface LossItem {
  pairId: string;
  loss: number;
  record: BusRecord;
}

/** What a window close folded in, for tracing: each kept LOSS with its RM and reward, and the RM of each delta record (in the outbox's order). */
export interface ClosedBatch {
  batch: number;
  rows: { record: BusRecord; pairId: string; rm: string; loss: number; reward: number }[];
  deltaRms: string[];
}

/** Closed batches remembered for telling a redelivered LOSS from a late one. */
const INCLUDED_HORIZON = 64;

export class AggregatorCore {
  readonly tracker = new OffsetTracker();
  readonly stats = {
    in: 0,
    decisions: 0,
    losses: 0,
    deadLetters: 0,
    closed: 0,
    timedOut: 0,
    missingEnd: 0,
    deltas: 0,
    foreign: 0,
    redelivered: 0,
  };
  lastClosed: number;
  private readonly decisions = new Map<string, KeptDecision>();
  private readonly pairsOf = new Map<number, string[]>();
  private readonly normalizer: QuantileNormalizer;
  private readonly included: Map<number, Map<string, string>>;

  constructor(
    private readonly ctx: AppContext,
    restored: AggregatorRestore,
    private readonly d: number,
  ) {
    this.lastClosed = restored.lastClosed;
    this.normalizer = restored.normalizer;
    this.included = restored.included;
  }

  /** Folds one classified record in; returns what the windowing operator must see, if anything. */
  accept(r: BusRecord, input: AggregatorInput): WindowInput<LossItem> | null {
    this.stats.in++;
    const open = 'batch' in input && input.batch > this.lastClosed;
    switch (input.kind) {
      case 'dead':
        this.dead(r, input.err);
        return null;
      case 'foreign':
        this.stats.foreign++; // another run's aggregator owns it
        return null;
      case 'decision': {
        const batch = input.pairs[0]?.decision.batch;
        if (batch === undefined || batch <= this.lastClosed) return null; // its window is closed: no longer needed
        const dup = input.pairs.find((p) => this.decisions.has(p.pairId));
        if (dup !== undefined) {
          this.dead(r, new Error(`second decision for pair ${dup.pairId}`), 'DUPLICATE_PAIR');
          return null;
        }
        let pairs = this.pairsOf.get(batch);
        if (pairs === undefined) this.pairsOf.set(batch, (pairs = []));
        for (const { pairId, decision } of input.pairs) {
          this.stats.decisions++;
          this.decisions.set(pairId, decision);
          pairs.push(pairId);
        }
        this.tracker.pin(r, batch);
        return null;
      }
      case 'loss':
        this.stats.losses++;
        if (open) this.tracker.pin(r, input.batch);
        return { kind: 'item', batch: input.batch, item: { pairId: input.pairId, loss: input.loss, record: r } };
      case 'end':
        if (open) this.tracker.pin(r, input.batch);
        return { kind: 'end', batch: input.batch, expected: input.expected };
    }
  }

  /** Whether every LOSS of a complete window has its decision (they come on another topic). */
  decided(batch: number, items: readonly LossItem[]): boolean {
    return items.every((it) => this.decisions.get(it.pairId)?.batch === batch);
  }

  /** A LOSS the operator refused: late (or the redelivery of one already folded in), or a duplicate. */
  refused(kind: 'late' | 'duplicate', batch: number, item: LossItem): void {
    const at = this.included.get(batch)?.get(item.pairId);
    if (kind === 'late' && at === `${item.record.partition}:${item.record.offset}`) {
      this.stats.redelivered++; // consumed again after a restart: already in that batch's deltas
    } else if (kind === 'duplicate' || at !== undefined) {
      this.dead(item.record, new Error(`second LOSS for pair ${item.pairId} of batch ${batch}`), 'DUPLICATE_PAIR');
    } else {
      this.dead(item.record, new Error(`LOSS for pair ${item.pairId} after batch ${batch} closed`), 'LATE_FEEDBACK');
    }
  }

  /** Closes batch `batch`: rewards, one delta per RM, the offsets now safe, the dead letters now due. */
  close(batch: number, items: readonly LossItem[], timedOut: boolean): Outbox & { closed: ClosedBatch } {
    const s = this.ctx.settings;
    const kept: { pairId: string; arm: number; loss: number; x: Float64Array; at: string; record: BusRecord }[] = [];
    for (const it of items) {
      const dec = this.decisions.get(it.pairId);
      if (dec === undefined || dec.batch !== batch)
        this.dead(it.record, new Error(`no decision for pair ${it.pairId} of batch ${batch}`), 'UNKNOWN_PAIR');
      else
        kept.push({
          pairId: it.pairId,
          arm: dec.arm,
          loss: it.loss,
          x: dec.x,
          at: `${it.record.partition}:${it.record.offset}`,
          record: it.record,
        });
    }
    const rewards = this.normalizer.rewards(kept);
    const deltas = buildDeltas(
      s.run,
      batch,
      s.arms,
      this.d,
      kept.map((k, i) => ({ pairId: k.pairId, arm: k.arm, x: k.x, r: rewards[i]! })),
    );
    for (const pairId of this.pairsOf.get(batch) ?? []) this.decisions.delete(pairId);
    this.pairsOf.delete(batch);
    this.included.set(batch, new Map(kept.map((k) => [k.pairId, k.at])));
    this.included.delete(batch - INCLUDED_HORIZON);
    this.lastClosed = batch;
    this.tracker.release(batch);
    this.stats.closed++;
    if (timedOut) this.stats.timedOut++;
    this.stats.deltas += deltas.length;
    const topic = topicName(s.prefix, 'posterior-deltas');
    const records = deltas.map(async (delta): Promise<OutRecord> => {
      const rec: PosteriorDelta = {
        run: delta.run,
        batch: delta.batch,
        rm: delta.rm,
        d: delta.d,
        rows: delta.rows.map((row) => ({ pairId: row.pairId, x: Array.from(row.x), r: row.r })),
      };
      return { topic, key: Buffer.from(delta.rm), value: await this.ctx.codec.encode('posterior-deltas', rec) };
    });
    const plan = this.tracker.commitPlan();
    const closed: ClosedBatch = {
      batch,
      deltaRms: deltas.map((d) => d.rm),
      rows: kept.map((k, i) => ({ record: k.record, pairId: k.pairId, rm: s.arms[k.arm]!, loss: k.loss, reward: rewards[i]! })),
    };
    return { records: [...records, ...plan.letters], offsets: plan.offsets, closed };
  }

  /** A transaction for the dead letters that are due, if any. */
  flush(): Outbox | null {
    if (this.tracker.pendingLetters === 0) return null;
    const plan = this.tracker.commitPlan();
    return plan.letters.length === 0 ? null : { records: plan.letters, offsets: plan.offsets };
  }

  private dead(r: BusRecord, err: unknown, reason?: DeadLetterReason): void {
    this.stats.deadLetters++;
    const { codec, clock, settings } = this.ctx;
    this.tracker.deadLetter(r, deadLetter(codec, clock, settings.prefix, 'aggregator', r, err, reason, dlqValueBytes(settings)));
  }
}
