/**
 * What bench/pipeline.bench.ts and its one-app child (bench/pipeline-app.ts) share: the loop
 * settings of a bench namespace and the kafkajs bus the stream apps run on.
 */
import { logLevel } from 'kafkajs';
import { createKafkaBus } from '../src/bus/kafka/index.ts';
import type { Bus } from '../src/bus/types.ts';
import { buildSettings, loopDefaults } from '../streams/runtime/settings.ts';
import { syntheticPrior } from '../test/unit/streams-fixtures.ts';

/**
 * The longest a fetch waits when there is nothing to read, for every consumer of both sides: the
 * loop's own default (loopDefaults.reliability.maxWaitMs). A fetch returns as soon as a record is
 * there, so this bounds only the polling of idle consumers (the router's replica consumer, scorers
 * between batches); at 50 ms those polls were a third of the pipeline's requests.
 */
export const FETCH_WAIT_MS = loopDefaults.reliability.maxWaitMs;

export function settingsFor(prefix: string, batches: number) {
  // lag beyond the run: every batch is routed with the prior at once (no aggregator or store runs here).
  return buildSettings(
    {
      seed: 1,
      run: 'bench',
      prefix,
      partitions: 3,
      posteriorWaitMs: 0,
      lag: 1_000_000,
      maxInFlight: 2000,
      sim: { scenario: 'stationary', config: { d: 64, batches } },
    },
    syntheticPrior(undefined, 64),
  );
}

export function benchBus(brokers: string[], clientId: string): Bus {
  return createKafkaBus({
    brokers,
    clientId,
    logLevel: logLevel.NOTHING,
    consumerTiming: { maxWaitTimeInMs: FETCH_WAIT_MS, heartbeatInterval: 500, sessionTimeout: 6000, rebalanceTimeout: 10000 },
  });
}
