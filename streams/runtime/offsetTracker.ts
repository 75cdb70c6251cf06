/**
 * What a transactional consume-transform-produce app may commit. Per partition it knows the next
 * offset after the last record it processed and the records still "pinned" (needed by state that is
 * not yet in any output: an open window, a held delta). The safe offset of a partition is its lowest
 * pinned offset, else the next offset: after a crash, everything from there is consumed again and
 * rebuilds exactly the state that was lost.
 *
 * Dead letters follow the same rule: one goes out only in a transaction whose committed offset has
 * passed its record, so a record consumed again after a crash is never dead-lettered twice.
 */
import type { BusRecord, OutRecord, TopicPartitionOffset } from '../../src/bus/types.ts';

interface PartitionState {
  topic: string;
  partition: number;
  next: bigint;
  /** tag → lowest pinned offset under that tag. */
  pins: Map<number, bigint>;
}

interface PendingLetter {
  topic: string;
  partition: number;
  offset: bigint;
  out: Promise<OutRecord>;
}

const keyOf = (topic: string, partition: number): string => `${partition}:${topic}`;

export class OffsetTracker {
  private readonly parts = new Map<string, PartitionState>();
  private letters: PendingLetter[] = [];

  private part(r: { topic: string; partition: number }): PartitionState {
    const key = keyOf(r.topic, r.partition);
    let p = this.parts.get(key);
    if (p === undefined) this.parts.set(key, (p = { topic: r.topic, partition: r.partition, next: -1n, pins: new Map() }));
    return p;
  }

  /**
   * Marks the record processed; false when it already was in this session (a redelivery after a
   * rebalance restarts from the committed offset, behind what this process has already folded in).
   */
  take(r: BusRecord): boolean {
    const p = this.part(r);
    const offset = BigInt(r.offset);
    if (offset < p.next) return false;
    p.next = offset + 1n;
    return true;
  }

  /** Keeps the record's offset uncommitted until `release(tag)`. */
  pin(r: BusRecord, tag: number): void {
    const p = this.part(r);
    const offset = BigInt(r.offset);
    const cur = p.pins.get(tag);
    if (cur === undefined || offset < cur) p.pins.set(tag, offset);
  }

  release(tag: number): void {
    for (const p of this.parts.values()) p.pins.delete(tag);
  }

  /** Queues a dead letter of record `r` for the first transaction that commits past it. */
  deadLetter(r: BusRecord, out: Promise<OutRecord>): void {
    out.catch(() => {}); // awaited by the transaction that sends it; no unhandled-rejection noise meanwhile
    this.letters.push({ topic: r.topic, partition: r.partition, offset: BigInt(r.offset), out });
  }

  get pendingLetters(): number {
    return this.letters.length;
  }

  /** The offsets safe to commit now, and the dead letters those offsets cover (removed from the queue). */
  commitPlan(): { offsets: TopicPartitionOffset[]; letters: Promise<OutRecord>[] } {
    const safe = new Map<string, bigint>();
    const offsets: TopicPartitionOffset[] = [];
    for (const [key, p] of this.parts) {
      if (p.next < 0n) continue;
      let at = p.next;
      for (const o of p.pins.values()) if (o < at) at = o;
      safe.set(key, at);
      offsets.push({ topic: p.topic, partition: p.partition, offset: String(at) });
    }
    const due = (l: PendingLetter): boolean => l.offset < (safe.get(keyOf(l.topic, l.partition)) ?? 0n);
    const letters = this.letters.filter(due).map((l) => l.out);
    this.letters = this.letters.filter((l) => !due(l));
    return { offsets, letters };
  }
}
