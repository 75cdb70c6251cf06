// The demo tfjs model served by `reward-router rm serve` (src/scorers/serve.ts) on 127.0.0.1, scored
// through the http backend with both protocols: the rewards are the model's own, bit for bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpBackend } from '../../src/scorers/http.ts';
import { defaultResilience, Resilient } from '../../src/scorers/resilience.ts';
import { rmPreferenceData } from '../../src/scorers/rmData.ts';
import { serveRewardModel } from '../../src/scorers/serve.ts';
import { tfjsBackend } from '../../src/scorers/tfjs.ts';
import { isFailure } from '../../src/scorers/types.ts';

const clock = { now: () => 0 };

describe('rm serve: the tfjs model over HTTP', () => {
  it("OpenRLHF and TEI through the http backend give the model's rewards; a bad request is RM_BAD_RESPONSE", async () => {
    const model = await tfjsBackend({
      modelDir: new URL('../../data/tfjs-rm/', import.meta.url).pathname,
      tfBackend: 'wasm',
      maxBatch: 64,
      clock,
    });
    const server = await serveRewardModel(model, { port: 0, host: '127.0.0.1' });
    try {
      const data = rmPreferenceData(20, 4, 'held-out');
      const pairs = data.map((p, i) => ({ pairId: `p${i}`, prompt: p.prompt, messages: [], responseA: p.chosen, responseB: p.rejected }));
      const want = await model.rewards(
        data.flatMap((p) => [
          { prompt: p.prompt, response: p.chosen },
          { prompt: p.prompt, response: p.rejected },
        ]),
      );
      for (const [protocol, path] of [
        ['openrlhf', '/get_reward'],
        ['tei', '/predict'],
      ] as const) {
        const res = new Resilient(defaultResilience, clock, 1, protocol);
        const b = httpBackend(
          { url: `${server.url}${path}`, protocol, modelVersion: model.modelVersion, maxBatch: 8, separator: '\n' },
          res,
        );
        const out = await b.scorePairs(pairs);
        out.forEach((r, i) => {
          assert.ok(!isFailure(r), protocol);
          assert.equal(r.scoreA, want[2 * i], `${protocol} pair ${i} A`);
          assert.equal(r.scoreB, want[2 * i + 1], `${protocol} pair ${i} B`);
          assert.ok(r.scoreA > r.scoreB, 'the model prefers the chosen response');
        });
        await b.close?.();
      }
      const r = await fetch(`${server.url}/get_reward`, { method: 'POST', body: '{"query": 3}' });
      assert.equal(r.status, 400);
    } finally {
      await server.close();
      await model.close?.();
    }
  });
});
