// Routing is pinned: for fixed seeds the whole loop on the in-process bus writes a `decisions` topic and
// ends with posterior snapshots whose bytes hash to the values below. They were taken before the house
// move (issue 15: apps under streams/<app>/, the simulator as one scorer backend, one scoring path);
// a refactor that changes a single routed pair, tie draw or posterior bit fails here. Change a hash only
// with a change that is meant to route differently, and say so in its commit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { topicName } from '../../src/records/topics.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { quietLog, testSettings } from './streams-fixtures.ts';

const GOLDEN: Record<string, { decisions: string; posteriors: string }> = {
  'seed 3, shift': {
    decisions: '7f745e1f9b50833c18835d73017fc68004946a6617bb8625a2e7fb1944e9ca3b',
    posteriors: 'dea149f5c61fc12846855a0ec208f9c8ddeeaef62cbe9b15bcb99c613d84413a',
  },
  'seed 11, stationary, shadow 0.2': {
    decisions: '01131223d0f96a11938432fd09899dcfb2833c0462b4ecb06d7afe6f98014ff6',
    posteriors: 'ff2a81e300b6a7d9971d841a33d9d71232fd70a92e3cd7ea1a75eb3f21699a0f',
  },
};

const CASES = {
  'seed 3, shift': testSettings(),
  'seed 11, stationary, shadow 0.2': testSettings({
    seed: 11,
    run: 'test/golden',
    shadow: { fraction: 0.2 },
    sim: { scenario: 'stationary' },
  }),
};

async function hashes(s: ReturnType<typeof testSettings>): Promise<{ decisions: string; posteriors: string }> {
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  try {
    const summary = await runLoop({ bus, settings: s, batches: 12, clock, log: quietLog });
    const decisions = createHash('sha256');
    for (const r of await bus.readToEnd(topicName(s.prefix, 'decisions'))) decisions.update(r.key ?? Buffer.alloc(0)).update(r.value!);
    const posteriors = createHash('sha256');
    for (const snap of summary.snapshots)
      posteriors
        .update(snap.rm)
        .update(String(snap.version))
        .update(String(snap.n))
        .update(snap.precision)
        .update(snap.b)
        .update(snap.factor);
    return { decisions: decisions.digest('hex'), posteriors: posteriors.digest('hex') };
  } finally {
    await bus.close();
  }
}

describe('streams: routing is pinned by hashes taken before the house move', () => {
  for (const [name, s] of Object.entries(CASES)) {
    it(`${name}: decisions and posteriors byte-identical`, async () => {
      const got = await hashes(s);
      if (process.env.RR_PRINT_GOLDEN) console.log(JSON.stringify({ [name]: got }));
      assert.deepEqual(got, GOLDEN[name]);
    });
  }
});
