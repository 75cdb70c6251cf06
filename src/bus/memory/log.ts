/**
 * One partition of the in-process bus: an append-only log with Kafka's offset rules (offsets only
 * grow; compaction leaves gaps), transaction visibility (last stable offset) and key compaction.
 */

/** Shared by every record a transaction wrote; flipping `status` commits or aborts them all at once. */
export interface TxnMark {
  status: 'open' | 'committed' | 'aborted';
}

export interface StoredRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: number;
  /** null for a record written outside a transaction. */
  txn: TxnMark | null;
}

export type NewRecord = Omit<StoredRecord, 'offset'>;

export class PartitionLog {
  /** Sorted by offset; sparse once compacted. */
  private entries: StoredRecord[] = [];
  /** The high watermark: the offset the next append gets. */
  private next = 0;
  /** First offset of each transaction that wrote here and may still be open (pruned lazily). */
  private txnStarts = new Map<TxnMark, number>();

  get highWatermark(): number {
    return this.next;
  }

  /** The first offset still in the log (the log start offset). */
  get lowWatermark(): number {
    return this.entries[0]?.offset ?? this.next;
  }

  append(record: NewRecord): number {
    const offset = this.next;
    this.entries.push({ ...record, offset });
    if (record.txn !== null && !this.txnStarts.has(record.txn)) this.txnStarts.set(record.txn, offset);
    this.next += 1;
    return offset;
  }

  /**
   * The last stable offset: the first offset of a still-open transaction, else the high watermark.
   * read_committed readers never go past it, as in Kafka (which keeps later records hidden too).
   */
  get stableOffset(): number {
    let stable = this.next;
    for (const [txn, first] of this.txnStarts) {
      if (txn.status !== 'open') this.txnStarts.delete(txn);
      else stable = Math.min(stable, first);
    }
    return stable;
  }

  /**
   * Records from `from` on, at most `max`, up to the stable offset (read_committed) or the high
   * watermark. `next` is where the reader continues: past skipped aborted records, so it never stalls.
   */
  read(from: number, readCommitted: boolean, max: number): { records: StoredRecord[]; next: number } {
    const limit = readCommitted ? this.stableOffset : this.next;
    const records: StoredRecord[] = [];
    let next = Math.max(from, this.lowWatermark);
    for (let i = this.indexOf(next); i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.offset >= limit || records.length >= max) break;
      next = entry.offset + 1;
      if (readCommitted && entry.txn?.status === 'aborted') continue;
      records.push(entry);
    }
    if (records.length < max) next = Math.max(next, Math.min(limit, this.next));
    return { records, next: Math.max(next, from) };
  }

  /**
   * Keeps only the latest record per key below the stable offset (records of open transactions
   * wait: they may still abort), drops aborted records and tombstones (null value). Kafka keeps a
   * tombstone for delete.retention.ms after the cleaner saw it; here it goes at once.
   */
  compact(): void {
    const cleanable = this.stableOffset;
    const latest = new Map<string, number>();
    for (const e of this.entries) {
      if (e.offset < cleanable && e.key !== null && e.txn?.status !== 'aborted') latest.set(e.key.toString('latin1'), e.offset);
    }
    this.entries = this.entries.filter((e) => {
      if (e.offset >= cleanable) return true;
      if (e.txn?.status === 'aborted') return false;
      if (e.key === null) return true;
      return latest.get(e.key.toString('latin1')) === e.offset && e.value !== null;
    });
  }

  /** Index of the first entry with offset >= `offset` (binary search: entries are sorted). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
