// LoopSettings: defaults, the config file (prior path relative to it), and typed RR_INVALID_CONFIG errors.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { writePrior } from '../../src/offline/index.ts';
import { appFactory } from '../../streams/loop/apps.ts';
import { buildSettings, loadSettings } from '../../streams/runtime/settings.ts';
import { loopTopicPlan } from '../../streams/runtime/topics.ts';
import { D, syntheticPrior } from './streams-fixtures.ts';

const invalid = (field: string) => (err: unknown) => isRouterError(err, 'RR_INVALID_CONFIG') && err.field === field;
const sim = { config: { d: D } };

describe('streams: settings', () => {
  it('fills the defaults from the scenario and ties the simulator seed to the loop seed', () => {
    const s = buildSettings({ seed: 4, sim }, syntheticPrior());
    assert.equal(s.run, 'loop/stationary/seed-4');
    assert.equal(s.sim!.config.seed, 4);
    assert.equal(s.tieEps, s.sim!.config.tieEps);
    assert.equal(s.lag, 1);
    assert.equal(s.arms.length, 4);
  });

  it('rejects bad values with RR_INVALID_CONFIG naming the field', () => {
    const prior = syntheticPrior();
    assert.throws(() => buildSettings({ lag: 0, sim }, prior), invalid('lag'));
    assert.throws(() => buildSettings({ maxInFlight: 1.5, sim }, prior), invalid('maxInFlight'));
    assert.throws(() => buildSettings({ tieEps: -1, sim }, prior), invalid('tieEps'));
    assert.throws(() => buildSettings({ arms: ['not-in-prior'], sim }, prior), invalid('arms'));
    assert.throws(() => buildSettings({ prefix: 'bad prefix', sim }, prior), invalid('prefix'));
    assert.throws(() => buildSettings({ sim: { config: { d: D + 1 } } }, prior), invalid('sim.config'));
    assert.throws(() => buildSettings({ sim: { scenario: 'nope', config: { d: D } } }, prior), invalid('scenario'));
  });

  it('loads loop.json with its prior beside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rr-settings-'));
    await writePrior(join(dir, 'prior.json'), syntheticPrior());
    await writeFile(
      join(dir, 'loop.json'),
      JSON.stringify({ seed: 2, prefix: 'x.', prior: 'prior.json', sim: { scenario: 'shift', config: { d: D, batches: 3 } } }),
    );
    const s = await loadSettings(join(dir, 'loop.json'));
    assert.equal(s.prefix, 'x.');
    assert.equal(s.sim!.config.batches, 3);
    assert.deepEqual(Array.from(s.prior.embeddings[0]!), Array.from(syntheticPrior().embeddings[0]!));
    const plan = loopTopicPlan(s);
    assert.equal(plan.filter((p) => p.base === 'requests').length, 4);
    assert.equal(plan.find((p) => p.base === 'posteriors')!.configs['cleanup.policy'], 'compact');
  });

  it('knows every app by name and refuses others', () => {
    for (const name of ['router', 'scorer', 'scorer:gpt-4.1 (judge)', 'labeler', 'trainer', 'aggregator', 'store'])
      assert.equal(typeof appFactory(name), 'function');
    assert.throws(() => appFactory('nope'), invalid('app'));
  });
});
