// Decision v2 (one record per prompt, pairs inside) against v1 (one record per pair), both ways:
// a v1 record reads with the current reader (pairs empty) and pairDecisions gives its one pair
// unchanged; a v2 record read with the v1 reader keeps the prompt's fields and sees no pair (so
// consumers upgrade first, the project's BACKWARD rule); pairDecisions gives every pair of a v2
// record bit for bit, -0 and subnormals included; the router writes one record per prompt.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { SchemaCatalog } from '../../src/avro/registry.ts';
import { encodeSingleObject } from '../../src/avro/singleObject.ts';
import { pairDecisions, promptDecision } from '../../src/records/decisions.ts';
import type { Decision } from '../../src/records/types.ts';
import { plain, readBin, readValue } from '../fixtures/avro/golden.ts';

const catalog = SchemaCatalog.load();
const codec = new SingleObjectCodec(catalog);
const v1 = catalog.entries().find((e) => e.name === 'Decision' && e.version === 'v1')!;

describe('Decision v2 (per prompt) and v1 (per pair)', () => {
  it("a v1 record reads with the current reader: pairs empty, pairDecisions gives the record's one pair", () => {
    const old = readValue('Decision.v1') as Decision;
    const bytes = encodeSingleObject(v1, old);
    assert.notDeepEqual(bytes.subarray(2, 10), catalog.schema('Decision').fingerprintLE);
    const read = codec.decodeSync('decisions', bytes);
    assert.deepEqual(plain(read), { ...(plain(old) as object), pairs: [] });
    assert.deepEqual(plain(pairDecisions(read)), [plain(old)]);
  });

  it("the current golden record reads with the v1 reader: the prompt's fields, no pair", () => {
    const { pairs: _p, ...rest } = readValue('Decision') as Decision;
    const body = readBin('Decision').subarray(10);
    assert.deepEqual(plain(v1.type.fromBuffer(body, v1.type.createResolver(catalog.schema('Decision').type))), plain(rest));
    assert.equal(rest.pairId, '');
    assert.deepEqual(rest.context, []);
  });

  it("pairDecisions gives every pair of a v2 record bit for bit, with the prompt's fields and chosenRm = arms[chosen]", () => {
    const value = readValue('Decision') as Decision;
    const read = codec.decodeSync('decisions', readBin('Decision'));
    const pairs = pairDecisions(read);
    assert.equal(pairs.length, 2);
    pairs.forEach((p, i) => {
      const want = value.pairs![i]!;
      assert.equal(p.pairId, want.pairId);
      assert.equal(p.chosenRm, value.arms[want.chosen]);
      assert.equal(p.posteriorVersion, 2);
      assert.equal(p.seed, 42);
      for (const f of ['context', 'means', 'stds', 'samples'] as const)
        assert.ok(
          p[f].every((v, k) => Object.is(v, want[f][k])),
          f,
        );
    });
    assert.ok(Object.is(pairs[1]!.context[0], -0));
    assert.equal(pairs[1]!.context[1], 5e-324);
    // promptDecision builds the same record.
    const built = promptDecision(
      {
        run: value.run,
        batch: value.batch,
        promptId: value.promptId,
        method: value.method,
        seed: value.seed,
        posteriorVersion: value.posteriorVersion,
        arms: value.arms,
        decidedAtMs: value.decidedAtMs,
      },
      value.pairs!,
    );
    assert.deepEqual(codec.encodeSync('decisions', built), readBin('Decision'));
  });
});
