/**
 * The simulator as a scorer backend, one `RmBackend` like the HTTP, judge and tfjs ones, chosen by
 * config (`{"backend": "sim"}`, or an RM without a `scorers` entry in a loop that has a `sim`
 * section). It answers from the simulated world: scoreA − scoreB = ±gap[rm], the sign being the
 * RM's (possibly wrong) preference, so the demo, the tests and the benches score without a server.
 */
import { codecError } from '../avro/errors.ts';
import type { PairInput, PairResult, RmBackend } from '../scorers/types.ts';
import type { SimConfig } from './config.ts';
import { routedLabel } from './labels.ts';
import { selectModels } from './profiles.ts';
import { loadProfilesFile } from './profilesFile.ts';
import { onlineStreamFromWorld, type OnlineStream, type SimPair } from './stream.ts';
import { buildWorld } from './world.ts';

/** A loop's simulator section: the RM profile table, the scenario's name and its resolved config. */
export interface SimSettings {
  profiles: string;
  scenario: string;
  config: SimConfig;
}

/** The simulated online stream of a loop (the same batches the simulated trainer sends). */
export function simStreamOf(sim: SimSettings, arms: readonly string[], seed: number): OnlineStream {
  return onlineStreamFromWorld(buildWorld(selectModels(loadProfilesFile(sim.profiles), [...arms]), sim.config, seed));
}

/**
 * Looks pairs up in the simulated batch they came from (generated without embeddings: a scorer
 * needs only the outcomes). Keeps the last `keep` batches: requests of several batches interleave
 * when a backlog is drained, and regenerating a batch per request would dominate a scorer's time.
 */
export class SimPairIndex {
  readonly #stream: OnlineStream;
  readonly #cache = new Map<number, Map<string, SimPair>>();
  constructor(
    stream: OnlineStream,
    readonly keep = 64,
  ) {
    this.#stream = stream;
  }

  /** The pair, or undefined when batch `batch` has no pair of that id. */
  find(batch: number, pairId: string): SimPair | undefined {
    let pairs = this.#cache.get(batch);
    if (!pairs) {
      pairs = new Map(
        this.#stream.generateBatch(batch, { embeddings: false }).prompts.flatMap((p) => p.pairs.map((x) => [x.pairId, x] as const)),
      );
      this.#cache.set(batch, pairs);
      if (this.#cache.size > this.keep) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return pairs.get(pairId);
  }
}

/**
 * The scorer apps of one loop in one process (the one-process loop, the pipeline bench) share one
 * index: batch t is a pure function of (simulator settings, arms, seed), so each scorer regenerating
 * it was the same work done once per RM.
 */
const indexes = new WeakMap<SimSettings, Map<string, SimPairIndex>>();
export function sharedSimIndex(sim: SimSettings, arms: readonly string[], seed: number): SimPairIndex {
  let byPool = indexes.get(sim);
  if (byPool === undefined) indexes.set(sim, (byPool = new Map()));
  const key = JSON.stringify([arms, seed]);
  let index = byPool.get(key);
  if (index === undefined) byPool.set(key, (index = new SimPairIndex(simStreamOf(sim, arms, seed))));
  return index;
}

export interface SimBackendOptions {
  index: SimPairIndex;
  arms: readonly string[];
  rm: string;
  /** Simulated GPU time per call (backpressure tests); `delay` runs it. */
  delayMs?: number;
  delay?: (ms: number) => Promise<void>;
}

/**
 * The simulated RM: scoreA = +g/2, scoreB = −g/2 when it prefers A (so scoreA − scoreB = g exactly).
 * A pair that is not in its batch is unscored with UNKNOWN_PAIR (dead-lettered, never labelled).
 */
export function simRmBackend(o: SimBackendOptions): RmBackend {
  const k = o.arms.indexOf(o.rm);
  if (k < 0) throw codecError('RR_UNKNOWN_ARM', 'UNKNOWN_RM', `simulated backend for RM ${JSON.stringify(o.rm)}, not in the pool`);
  let calls = 0;
  let pairs = 0;
  return {
    kind: 'sim',
    modelVersion: 'sim',
    async scorePairs(inputs: readonly PairInput[]): Promise<PairResult[]> {
      calls++;
      pairs += inputs.length;
      if (o.delayMs !== undefined && o.delayMs > 0 && o.delay) await o.delay(o.delayMs);
      return inputs.map((x): PairResult => {
        const p = x.batch === undefined ? undefined : o.index.find(x.batch, x.pairId);
        if (p === undefined) return { failure: { code: 'UNKNOWN_PAIR', message: `pair ${x.pairId} is not in simulated batch ${x.batch}` } };
        const half = p.gap[k]! / 2;
        const { prefersA } = routedLabel(p, k);
        return { scoreA: prefersA ? half : -half, scoreB: prefersA ? -half : half };
      });
    },
    stats: () => ({ simCalls: calls, simPairs: pairs }),
  };
}
