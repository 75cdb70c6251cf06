/**
 * Confluent wire format against a FAKE schema registry: a node:http server on
 * 127.0.0.1 that implements only the calls the client library makes (config,
 * register, schema by id). It checks our framing and error mapping over a real
 * HTTP connection; it is not Confluent's registry and checks no compatibility.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCodec } from '../../src/avro/codec.ts';
import { ConfluentCodec } from '../../src/avro/confluent.ts';
import { reasonOf } from '../../src/avro/errors.ts';
import { SchemaCatalog } from '../../src/avro/registry.ts';
import { isRouterError } from '../../src/core/errors.ts';
import type { Score } from '../../src/records/types.ts';
import { plain, readBin, readValue } from '../fixtures/avro/golden.ts';
import { fakeRegistry, type Fake } from '../helpers/fakeRegistry.ts';

const catalog = SchemaCatalog.load();
const score = readValue('Score') as Score;

describe('Confluent wire format (fake registry on 127.0.0.1)', () => {
  let fake: Fake;
  let codec: ConfluentCodec;
  before(async () => {
    fake = await fakeRegistry();
    codec = new ConfluentCodec({ host: fake.url, prefix: 'rr.', catalog, retries: 0 });
  });
  after(() => fake.close());

  it('frames 0x00 + 4-byte big-endian id + the same Avro body as single-object encoding', async () => {
    const bytes = await codec.encode('scores', score);
    const id = await codec.schemaId('scores');
    assert.equal(bytes[0], 0x00);
    assert.equal(bytes.readUInt32BE(1), id);
    assert.deepEqual(bytes.subarray(5), readBin('Score').subarray(10));
    assert.ok(fake.calls.includes('POST /subjects/rr.scores-value/versions'));
    assert.deepEqual(JSON.parse(fake.schemas[id - 1]!), catalog.schema('Score').json);
  });

  it('decodes in a fresh codec (schema fetched by id) and in the library itself', async () => {
    const bytes = await codec.encode('scores', score);
    const fresh = new ConfluentCodec({ host: fake.url, prefix: 'rr.', catalog, retries: 0 });
    assert.deepEqual(plain(await fresh.decode('scores', bytes)), plain(score));
    assert.ok(fake.calls.some((c) => c.startsWith('GET /schemas/ids/')));
    assert.deepEqual(plain(await codec.registry.decode(bytes)), plain(score));
  });

  it('resolves an older writer (Score v0 registered by an old scorer) with defaults', async () => {
    const v0 = catalog.entries().find((e) => e.name === 'Score' && e.version === 'v0')!;
    const { id } = await codec.registry.register(
      { type: 'AVRO' as never, schema: JSON.stringify(v0.json) },
      { subject: 'rr.scores-value' },
    );
    const { modelVersion: _drop, promptPairs: _p, pairs, ...rest } = score;
    const old = { ...rest, pairs: pairs.map(({ index: _i, ...p }) => p) };
    const head = Buffer.alloc(5);
    head.writeUInt32BE(id, 1);
    const decoded = await codec.decode('scores', Buffer.concat([head, v0.type.toBuffer(old)]));
    assert.deepEqual(plain(decoded), {
      ...rest,
      modelVersion: 'unknown',
      promptPairs: 0,
      pairs: old.pairs.map((p) => ({ ...p, index: -1 })),
    });
  });

  it('maps failures to typed errors with reasons', async () => {
    const good = await codec.encode('scores', score);
    const check = async (buf: Buffer, code: string, reason: string): Promise<void> => {
      await assert.rejects(codec.decode('scores', buf), (e: unknown) => isRouterError(e) && e.code === code && reasonOf(e) === reason);
    };
    await check(readBin('Score'), 'RR_DECODE', 'UNDECODABLE'); // single-object bytes: wrong magic
    await check(good.subarray(0, 3), 'RR_DECODE', 'UNDECODABLE');
    await check(good.subarray(0, good.length - 1), 'RR_DECODE', 'UNDECODABLE');
    const unknownId = Buffer.from(good);
    unknownId.writeUInt32BE(999, 1);
    await check(unknownId, 'RR_UNKNOWN_SCHEMA', 'UNKNOWN_SCHEMA');
    const labelBytes = await codec.encode('labels', readValue('Label') as never);
    await check(labelBytes, 'RR_UNKNOWN_SCHEMA', 'UNKNOWN_SCHEMA');
    await assert.rejects(codec.encode('scores', { ...score, latencyMs: 'slow' } as never), (e: unknown) => isRouterError(e, 'RR_ENCODE'));
  });

  it('an unreachable registry is RR_REGISTRY, retriable', async () => {
    const down = createCodec({ registryUrl: 'http://127.0.0.1:1', prefix: 'rr.', catalog });
    assert.equal(down.format, 'confluent');
    const noRetry = new ConfluentCodec({ host: 'http://127.0.0.1:1', prefix: 'rr.', catalog, retries: 0 });
    await assert.rejects(noRetry.encode('scores', score), (e: unknown) => isRouterError(e, 'RR_REGISTRY') && e.retriable);
  });

  it('createCodec without a registry URL is single-object', () => {
    assert.equal(createCodec({ catalog }).format, 'single-object');
  });
});
