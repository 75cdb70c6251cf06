/**
 * The store's state, with no I/O but the snapshots' encoding: the posteriors (PosteriorState), the
 * early deltas held per RM, the offsets and dead letters (OffsetTracker) and the counters. Each delta
 * goes through PosteriorState.apply: 'applied' → the RM's full snapshot, then any held delta it
 * unblocks; 'duplicate' (a redelivery) → nothing; 'gap' (early) → held, its offset pinned so it is
 * not committed before it is applied. The app (store.ts) decodes, traces and runs the transactions.
 */
import type { BusRecord, OutRecord } from '../../src/bus/types.ts';
import type { DeltaBatch } from '../../src/core/delta.ts';
import type { PosteriorState } from '../../src/core/state.ts';
import { deadLetter } from '../../src/operators/deadLetter.ts';
import { topicName } from '../../src/records/topics.ts';
import type { AppContext } from '../runtime/context.ts';
import { OffsetTracker } from '../runtime/offsetTracker.ts';
import { toSnapshotRecord } from '../runtime/snapshotRecord.ts';
import type { StoreInput } from './input.ts';
import { dlqValueBytes } from '../runtime/topics.ts';

export class StoreCore {
  readonly tracker = new OffsetTracker();
  readonly stats = { in: 0, applied: 0, duplicates: 0, held: 0, deadLetters: 0, foreign: 0, snapshots: 0 };
  /** Per arm: early deltas by batch, with the pin tag of their record. */
  private readonly held: Map<number, { delta: DeltaBatch; tag: number }>[];
  private nextTag = 0;
  private readonly posteriors: string;

  constructor(
    private readonly ctx: AppContext,
    readonly state: PosteriorState,
  ) {
    this.held = state.arms.map(() => new Map<number, { delta: DeltaBatch; tag: number }>());
    this.posteriors = topicName(ctx.settings.prefix, 'posteriors');
  }

  /** Early deltas held now, over all RMs. */
  get heldNow(): number {
    return this.held.reduce((n, h) => n + h.size, 0);
  }

  /** One record the tracker took: counted, then dead-lettered, applied or held; the snapshots it makes go onto `out`. */
  accept(r: BusRecord, input: StoreInput, out: Promise<OutRecord>[]): void {
    this.stats.in++;
    if (input.kind === 'foreign') this.stats.foreign++;
    else if (input.kind === 'dead') {
      this.stats.deadLetters++;
      this.tracker.deadLetter(
        r,
        deadLetter(
          this.ctx.codec,
          this.ctx.clock,
          this.ctx.settings.prefix,
          'store',
          r,
          input.err,
          undefined,
          dlqValueBytes(this.ctx.settings),
        ),
      );
    } else {
      const result = this.apply(input.arm, input.delta, out);
      if (result === 'duplicate') this.stats.duplicates++;
      if (result === 'gap') this.hold(r, input.arm, input.delta);
    }
  }

  /** Applies a delta and then whatever it unblocks; the snapshots to send go onto `out`. */
  private apply(k: number, delta: DeltaBatch, out: Promise<OutRecord>[]): 'applied' | 'duplicate' | 'gap' {
    const result = this.state.apply(delta);
    if (result !== 'applied') return result;
    this.stats.applied++;
    out.push(this.snapshotOf(k));
    const held = this.held[k]!;
    for (let next = held.get(this.state.versions[k]! + 1); next !== undefined; next = held.get(this.state.versions[k]! + 1)) {
      held.delete(next.delta.batch);
      this.tracker.release(next.tag);
      this.state.apply(next.delta);
      this.stats.applied++;
      out.push(this.snapshotOf(k));
    }
    return 'applied';
  }

  /** Holds an early delta (the first one of its batch) with its record's offset pinned until it is applied. */
  private hold(r: BusRecord, k: number, delta: DeltaBatch): void {
    if (this.held[k]!.has(delta.batch)) return;
    const tag = this.nextTag++;
    this.held[k]!.set(delta.batch, { delta, tag });
    this.tracker.pin(r, tag);
    this.stats.held++;
  }

  /** RM k's snapshot as it is now (taken at the call), encoded for `posteriors`. */
  private async snapshotOf(k: number): Promise<OutRecord> {
    this.stats.snapshots++;
    const value = await this.ctx.codec.encode('posteriors', toSnapshotRecord(this.state.snapshot(k)));
    return { topic: this.posteriors, key: Buffer.from(this.state.arms[k]!), value };
  }
}
