// The whole loop on the in-process bus ends with posteriors bit-identical to the pure-core evaluation
// loop (src/eval/loop.ts, bayesian-router only, same seed, run, prior and simulator settings), and the
// same seed run twice writes byte-identical `decisions`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { f64ToBytes } from '../../src/avro/f64.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { makeBatch } from '../../src/core/context.ts';
import type { BanditPolicy } from '../../src/core/bandit.ts';
import { runLoop as evalLoop } from '../../src/eval/loop.ts';
import { buildMethods } from '../../src/eval/methods.ts';
import { embeddingsFor } from '../../src/core/prior.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import { selectModels } from '../../src/sim/profiles.ts';
import { loadProfilesFile } from '../../src/sim/profilesFile.ts';
import { onlineStreamFromWorld } from '../../src/sim/stream.ts';
import { SimTrainer } from '../../src/sim/trainer.ts';
import { buildWorld } from '../../src/sim/world.ts';
import type { LoopSettings } from '../../streams/runtime/context.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const BATCHES = 20;

/** The pure-core loop with the same inputs; returns the policy after applying every pending delta. */
function reference(s: LoopSettings): BanditPolicy {
  const world = buildWorld(selectModels(loadProfilesFile(s.sim!.profiles), s.arms), s.sim!.config, s.seed);
  const [method] = buildMethods({
    arms: s.arms,
    embeddings: embeddingsFor(s.prior, s.arms),
    seed: s.seed,
    run: s.run,
    posterior: s.posterior,
    lag: s.lag,
    only: ['bayesian-router'],
  });
  assert.ok(method?.kind === 'router');
  evalLoop({
    stream: onlineStreamFromWorld(world),
    trainer: new SimTrainer(s.sim!.config.trainer, s.seed),
    methods: [method],
    prior: s.prior,
    batches: BATCHES,
    tieEps: s.tieEps,
    keepPerPrompt: s.keepPerPrompt,
    seed: s.seed,
    run: s.run,
  });
  const policy = method.policy as BanditPolicy;
  // The policy applies batch t's deltas lazily, when routing t + lag: route one empty batch to apply the rest.
  policy.route(BATCHES - 1 + s.lag, makeBatch([], [], s.prior.d));
  return policy;
}

async function loopOnce(s: LoopSettings) {
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  try {
    const summary = await runLoop({ bus, settings: s, batches: BATCHES, clock, log: quietLog });
    const decisions = (await bus.readToEnd(topicName(s.prefix, 'decisions'))).map((r) => r.value!);
    return { summary, decisions };
  } finally {
    await bus.close();
  }
}

describe('streams: the whole loop on the in-process bus', () => {
  const s = testSettings();

  it('ends with posteriors bit-identical to the pure-core loop, and replays byte for byte', async () => {
    const first = await loopOnce(s);
    const policy = reference(s);
    assert.equal(first.summary.batches, BATCHES);
    assert.equal(first.summary.snapshots.length, s.arms.length);
    assert.deepEqual(first.summary.deadLetters, {});
    first.summary.snapshots.forEach((snap, k) => {
      const want = policy.state.posteriors[k]!;
      assert.equal(snap.rm, s.arms[k]);
      assert.equal(snap.version, BATCHES - 1);
      assert.equal(snap.n, want.n, `${snap.rm}: updates`);
      assert.ok(snap.precision.equals(f64ToBytes(want.precision)), `${snap.rm}: precision`);
      assert.ok(snap.b.equals(f64ToBytes(want.b)), `${snap.rm}: b`);
      assert.ok(snap.factor.equals(f64ToBytes(want.factor)), `${snap.rm}: factor`);
    });
    assert.ok(
      first.summary.snapshots.some((snap) => snap.n > 0),
      'the posteriors learned something',
    );

    const second = await loopOnce(s);
    assert.equal(second.decisions.length, first.decisions.length);
    assert.equal(first.decisions.length, BATCHES * 8); // one record per prompt (Decision v2)
    first.decisions.forEach((d, i) => assert.ok(d.equals(second.decisions[i]!), `decision ${i} differs`));
    // Every batch was routed with exactly version t − lag (the router waited for it, never timed out).
    const codec = new SingleObjectCodec();
    let pairs = 0;
    for (const bytes of first.decisions) {
      const d = codec.decodeSync('decisions', bytes);
      assert.equal(d.posteriorVersion, d.batch - s.lag);
      pairs += pairDecisions(d).length;
    }
    assert.equal(pairs, BATCHES * 8 * 6);
    assert.equal(first.summary.stats.router!.timedOut, 0);
    assert.ok(first.summary.accuracy > 0.5 && first.summary.accuracy <= 1);
  });
});

describe('streams: the loop with the Confluent wire format (fake registry)', () => {
  it('frames every record as magic 0 + schema id and computes the same posteriors', async () => {
    const { fakeRegistry } = await import('../helpers/fakeRegistry.ts');
    const { createCodec } = await import('../../src/avro/codec.ts');
    const fake = await fakeRegistry();
    try {
      const s = testSettings({ prefix: 'cf.' });
      const run = async (codec?: ReturnType<typeof createCodec>) => {
        const clock = counterClock();
        const bus = createMemoryBus({ clock });
        try {
          const summary = await runLoop({ bus, settings: s, batches: 5, clock, log: quietLog, codec });
          return { summary, decisions: await bus.readToEnd(topicName(s.prefix, 'decisions')) };
        } finally {
          await bus.close();
        }
      };
      const confluent = await run(createCodec({ registryUrl: fake.url, prefix: s.prefix }));
      const single = await run();
      assert.ok(confluent.decisions.length > 0 && confluent.decisions.every((r) => r.value![0] === 0), 'magic byte 0');
      assert.ok(fake.schemas.length >= 5, 'the schemas were registered');
      confluent.summary.snapshots.forEach((snap, k) => assert.ok(snap.factor.equals(single.summary.snapshots[k]!.factor)));
    } finally {
      await fake.close();
    }
  });
});
