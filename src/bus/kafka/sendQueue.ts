/**
 * Batching of a producer's sends while a request is in flight, as the Java producer's accumulator
 * does (kafkajs has none: every send() is at least one produce request of its own).
 *
 * The producer is idempotent with one request in flight, so sends go out one request at a time
 * anyway; records handed in meanwhile wait in order, and the next request carries all of them (split
 * by size as before). A send never waits for a timer (no linger): the first one goes at once. A
 * stage sends once per consumer batch and a loop of small batches made as many requests as batches;
 * on a loaded machine each request costs far more than its bytes (a socket write that wakes the
 * broker), so fewer, fuller requests are what moves more pairs per second.
 *
 * Each caller's promise settles with the requests that carried its records: resolved once all of
 * them are acknowledged, rejected with the error of the request that failed. Order is kept across
 * callers (one FIFO queue, requests in order).
 */
import type { OutRecord } from '../types.ts';
import { splitForRequests } from './convert.ts';

interface Waiting {
  records: OutRecord[];
  resolve(): void;
  reject(err: unknown): void;
}

export class SendQueue {
  readonly #waiting: Waiting[] = [];
  #draining = false;

  /** `request` sends one produce request's records (already split by size). */
  constructor(private readonly request: (records: OutRecord[]) => Promise<void>) {}

  send(records: OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ records, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiting.length > 0) {
        const group = this.#waiting.splice(0);
        try {
          for (const part of splitForRequests(group.flatMap((w) => w.records))) await this.request(part);
          for (const w of group) w.resolve();
        } catch (err) {
          for (const w of group) w.reject(err);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
