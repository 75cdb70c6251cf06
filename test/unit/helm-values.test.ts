// The chart's values agree with the code (no helm needed): each scorer's requestsTopic is the name the
// apps use, the topic configs are the ones `topics create` sets, and the loop config is valid settings.
// What the chart renders from them (loop.json with each RM's scorer, the Deployments that provide what
// it names) is checked with the helm binary in helm-chart.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { requestsTopic } from '../../src/records/topics.ts';
import { topicConfigs } from '../../src/records/topicConfigs.ts';
import { buildSettings, inputLimitDefaults, type SettingsInput } from '../../streams/runtime/settings.ts';
import { syntheticPrior } from './streams-fixtures.ts';

interface Values {
  loop: { config: SettingsInput & { prefix: string; arms: string[] } };
  scorers: { rm: string; requestsTopic: string }[];
  topics: { configs: Record<string, Record<string, string>> };
}
const load = (f: string) => yaml.load(readFileSync(new URL(`../../helm/reward-router/${f}`, import.meta.url), 'utf8')) as Partial<Values>;
/** Helm's merge of a values file over the defaults: maps key by key, anything else (lists) replaced. */
function overlay(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? overlay(out[k], v) : v;
  return out;
}
const defaults = load('values.yaml') as Values;
const gpu = overlay(defaults, load('values-gpu.yaml')) as Values;
const real = overlay(defaults, load('ci/values-real.yaml')) as Values;

describe('helm/reward-router values', () => {
  for (const [name, v] of [
    ['values.yaml', defaults],
    ['values-gpu.yaml', gpu],
    ['ci/values-real.yaml', real],
  ] as const) {
    it(`${name}: one scorer per arm, each with the request topic the apps use`, () => {
      assert.deepEqual(
        v.scorers.map((s) => s.rm),
        v.loop.config.arms,
      );
      for (const s of v.scorers) assert.equal(s.requestsTopic, requestsTopic(v.loop.config.prefix, s.rm), s.rm);
    });
  }

  it('topic configs equal what `topics create` sets at d = 64 (posteriors compacted)', () => {
    for (const base of [
      'posteriors',
      'posterior-deltas',
      'dlq',
      'generations',
      'requests',
      'scores',
      'labels',
      'feedback',
      'decisions',
    ] as const)
      assert.deepEqual(defaults.topics.configs[base], topicConfigs(base, { d: 64 }), base);
    assert.equal(defaults.topics.configs.posteriors!['cleanup.policy'], 'compact');
  });

  it('the loop config is valid settings, with the default input limits', () => {
    const s = buildSettings({ ...defaults.loop.config, sim: { config: { d: 64 } } }, syntheticPrior(defaults.loop.config.arms, 64));
    assert.deepEqual(s.limits, inputLimitDefaults);
  });
});
