// The loop config's `scorers` map: defaults filled, every bad value a RR_INVALID_CONFIG naming its field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { parseScorers } from '../../src/scorers/config.ts';
import { testSettings } from './streams-fixtures.ts';

const arms = testSettings().arms;
const rm = arms[0]!;
const bad = (raw: unknown, field: RegExp) =>
  assert.throws(
    () => parseScorers(raw, arms),
    (e: unknown) => {
      assert.ok(isRouterError(e, 'RR_INVALID_CONFIG'), String(e));
      assert.match(String((e as { field?: string }).field), field);
      return true;
    },
  );

describe('scorers config', () => {
  it('fills the defaults; sim needs nothing', () => {
    const s = parseScorers(
      { [rm]: { backend: 'http', protocol: 'tei', url: 'http://127.0.0.1:8080/predict' }, [arms[1]!]: { backend: 'sim' } },
      arms,
    );
    assert.deepEqual(s[arms[1]!], { backend: 'sim' });
    const h = s[rm]!;
    assert.ok(h.backend === 'http');
    assert.equal(h.maxPairs, 256);
    assert.equal(h.retries, 3);
    assert.equal(h.modelVersion, 'unknown');
    assert.equal(h.separator, '\n');
  });

  it('reaches the settings (buildSettings validates it)', () => {
    const s = testSettings({ scorers: { [rm]: { backend: 'judge', baseUrl: 'http://127.0.0.1:1', model: 'm' } } });
    assert.equal(s.scorers?.[rm]?.backend, 'judge');
    assert.throws(
      () => testSettings({ scorers: { nope: { backend: 'sim' } } }),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG'),
    );
  });

  it('refuses bad values, naming the field', () => {
    bad([], /^scorers$/);
    bad({ 'no-such-rm': { backend: 'sim' } }, /scorers\["no-such-rm"\]/);
    bad({ [rm]: { backend: 'grpc' } }, /\.backend$/);
    bad({ [rm]: { backend: 'http', protocol: 'openrlhf', url: 'not a url' } }, /\.url$/);
    bad({ [rm]: { backend: 'http', protocol: 'vllm', url: 'http://x/' } }, /\.protocol$/);
    bad({ [rm]: { backend: 'http', protocol: 'openrlhf', url: 'http://x/', concurrency: 0 } }, /\.concurrency$/);
    bad({ [rm]: { backend: 'http', protocol: 'openrlhf', url: 'http://x/', timeoutMs: '5s' } }, /\.timeoutMs$/);
    bad({ [rm]: { backend: 'judge', baseUrl: 'http://x', model: '' } }, /\.model$/);
    bad({ [rm]: { backend: 'judge', baseUrl: 'http://x', model: 'm', order: 'random' } }, /\.order$/);
    bad({ [rm]: { backend: 'tfjs' } }, /\.modelDir$/);
    bad({ [rm]: { backend: 'tfjs', modelDir: 'd', tfBackend: 'webgl' } }, /\.tfBackend$/);
  });
});
