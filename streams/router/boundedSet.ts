/**
 * A Set that keeps only its `capacity` newest entries (insertion order; the oldest is dropped
 * first). The router's duplicate-pair memory: a process that routes for weeks must not grow
 * without bound, and a duplicate older than the newest `capacity` pair ids is left to the
 * downstream dedupe (the labeler and the aggregator key by pairId).
 */
export class BoundedSet<T> extends Set<T> {
  constructor(readonly capacity: number) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  override add(value: T): this {
    if (this.has(value)) this.delete(value); // refreshed: it becomes the newest
    super.add(value);
    if (this.size > this.capacity) this.delete(this.values().next().value as T);
    return this;
  }
}
