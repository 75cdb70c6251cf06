/**
 * The router's read-only replica of `posteriors`: per RM, the snapshots of the
 * versions it may still route with (the newest `keep`), restored into
 * ArmPosteriors once, on arrival. It restores by reading the topic to its end,
 * then tails it with its own consumer group from the beginning. Version −1 (the
 * prior) is built from the settings, so batch 0 never waits for the store.
 */
import { BehaviorSubject } from 'rxjs';
import type { RecordCodec } from '../../src/avro/codec.ts';
import { bytesToF64 } from '../../src/avro/f64.ts';
import type { Bus, BusConsumer, BusRecord } from '../../src/bus/types.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { embeddingsFor } from '../../src/core/prior.ts';
import type { PosteriorSet } from '../../src/operators/routePairs.ts';
import { topicName } from '../../src/records/topics.ts';
import type { PosteriorSnapshot } from '../../src/records/types.ts';
import type { LoopSettings } from '../runtime/context.ts';

/** ArmPosterior from a snapshot record (bit-exact: Λ, b and the factor as stored). */
export function restoreSnapshot(s: PosteriorSnapshot): ArmPosterior {
  const dd = s.d * s.d;
  return ArmPosterior.restore({
    d: s.d,
    lambda0: s.lambda0,
    sigma2: s.sigma2,
    refreshEvery: s.refreshEvery,
    n: s.n,
    sinceRefresh: s.sinceRefresh,
    precision: bytesToF64(s.precision, dd, 'precision'),
    b: bytesToF64(s.b, s.d, 'b'),
    factor: bytesToF64(s.factor, dd, 'factor'),
  });
}

export interface ReplicaOptions {
  /** Versions kept per RM (default lag + 4). */
  keep?: number;
  /** Told about records it cannot use (the router dead-letters them). */
  onReject?: (record: BusRecord, err: unknown) => void;
}

export class PosteriorReplica {
  /** The newest version every RM has (−1 = the prior); replays its current value. */
  readonly version$: BehaviorSubject<number>;
  readonly #settings: LoopSettings;
  readonly #codec: RecordCodec;
  readonly #keep: number;
  readonly #onReject: ReplicaOptions['onReject'];
  /** Per arm: version → posterior. */
  readonly #byArm: Map<number, ArmPosterior>[];
  #consumer: BusConsumer | null = null;

  constructor(settings: LoopSettings, codec: RecordCodec, opts: ReplicaOptions = {}) {
    this.#settings = settings;
    this.#codec = codec;
    this.#keep = opts.keep ?? settings.lag + 4;
    this.#onReject = opts.onReject;
    const priors = embeddingsFor(settings.prior, settings.arms);
    this.#byArm = priors.map((e) => new Map([[-1, ArmPosterior.fromPrior(e, settings.posterior)]]));
    this.version$ = new BehaviorSubject(-1);
  }

  /**
   * Reads `posteriors` to its end, then follows it with group `groupId`. The group never commits
   * (every start re-reads the compacted topic from the beginning anyway), so a router that dies
   * leaves an empty group with no offsets and no lag; `close()` also deletes it (`deleteGroup`).
   */
  async start(bus: Bus, groupId: string, onError?: (err: unknown) => void): Promise<void> {
    const topic = topicName(this.#settings.prefix, 'posteriors');
    for (const r of await bus.readToEnd(topic)) await this.#ingest(r);
    const consumer = await bus.consumer({ groupId, topics: [topic], fromBeginning: true, autoCommit: false, onError });
    this.#consumer = consumer;
    await consumer.run(async (batch) => {
      for (const r of batch.records) await this.#ingest(r);
    });
  }

  async close(deleteGroup?: (groupId: string) => Promise<void>): Promise<void> {
    const c = this.#consumer;
    await c?.close();
    if (c !== null && deleteGroup) await deleteGroup(c.groupId).catch(() => {}); // best effort: it has no offsets either way
    this.version$.complete();
  }

  /** Applies one snapshot (idempotent: a version already held is replaced by the same bits). */
  apply(s: PosteriorSnapshot): void {
    if (s.run !== this.#settings.run) return; // another run's namespace: not ours to route with
    const k = this.#settings.arms.indexOf(s.rm);
    if (k < 0) return; // an RM outside this loop's pool
    const versions = this.#byArm[k]!;
    versions.set(s.version, restoreSnapshot(s));
    const newest = Math.max(...versions.keys());
    for (const v of versions.keys()) if (v < newest - this.#keep) versions.delete(v);
    const complete = Math.min(...this.#byArm.map((m) => Math.max(...m.keys())));
    if (complete > this.version$.value) this.version$.next(complete);
  }

  /** Version `want` exactly when every RM has it, else the newest version ≤ want every RM has, else the prior. */
  at(want: number): PosteriorSet {
    const common = [...this.#byArm[0]!.keys()].filter((v) => v <= want && this.#byArm.every((m) => m.has(v)));
    const version = common.length > 0 ? Math.max(...common) : -1;
    const posteriors = this.#byArm.map((m) => m.get(version) ?? m.get(Math.min(...m.keys()))!);
    return { version, posteriors };
  }

  async #ingest(r: BusRecord): Promise<void> {
    if (r.value === null) return; // a tombstone: an RM removed from the pool
    try {
      this.apply(await this.#codec.decode('posteriors', r.value));
    } catch (err) {
      this.#onReject?.(r, err);
    }
  }
}
