/**
 * Backpressure helpers over any BusConsumer: a gate that pauses the consumer while more than
 * `maxInFlight` records are being worked on, and an RxJS view of the batches built on it.
 */
import { Observable } from 'rxjs';
import type { BusBatch, BusConsumer } from './types.ts';

type Pausable = Pick<BusConsumer, 'pause' | 'resume' | 'paused'>;

/**
 * Counts records in flight; pauses the consumer at `maxInFlight` and resumes it below. It only
 * resumes a pause it caused, so a pause the caller made itself stays. The Kafka adapter may still
 * deliver what one fetch already returned after the pause, so the bound overshoots by at most that.
 */
export class InFlightGate {
  private count = 0;
  private pausedByGate = false;

  constructor(
    private readonly consumer: Pausable,
    readonly maxInFlight: number,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
  }

  get inFlight(): number {
    return this.count;
  }

  acquire(records: number): void {
    this.count += records;
    if (this.count >= this.maxInFlight && !this.consumer.paused) {
      this.consumer.pause();
      this.pausedByGate = true;
    }
  }

  release(records: number): void {
    this.count = Math.max(0, this.count - records);
    if (this.count < this.maxInFlight && this.pausedByGate) {
      this.pausedByGate = false;
      this.consumer.resume();
    }
  }
}

/** A batch handed downstream; call `ack()` once its records are done (idempotent). */
export interface AckableBatch extends BusBatch {
  ack(): void;
}

/**
 * Runs `consumer` and emits its batches without waiting for them to be processed; the gate bounds
 * the records emitted but not yet acked. Use with `autoCommit: false` and commit what was acked
 * (autoCommit would commit records the moment they are emitted). Unsubscribing pauses the consumer;
 * closing it stays the caller's job. `onRun` gets run()'s promise: it resolves once the consumer has
 * joined its group.
 */
export function consumeBatches(
  consumer: BusConsumer,
  opts: { maxInFlight: number; onRun?: (running: Promise<void>) => void },
): Observable<AckableBatch> {
  return new Observable<AckableBatch>((subscriber) => {
    const gate = new InFlightGate(consumer, opts.maxInFlight);
    const running = consumer.run(async (batch) => {
      if (subscriber.closed) return;
      const size = batch.records.length;
      let acked = false;
      gate.acquire(size);
      subscriber.next({
        ...batch,
        ack: () => {
          if (!acked) {
            acked = true;
            gate.release(size);
          }
        },
      });
    });
    running.catch((err: unknown) => subscriber.error(err));
    opts.onRun?.(running); // resolves once the consumer has joined its group (BusConsumer.run)
    return () => consumer.pause();
  });
}
