import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { canonicalForm, canonicalFormOfText } from '../../src/avro/canonical.ts';
import { EMPTY, fingerprintHex, rabin, rabinLE, rabinOfText, rabinSigned } from '../../src/avro/rabin.ts';
import { SchemaCatalog } from '../../src/avro/registry.ts';
import { isRouterError } from '../../src/core/errors.ts';

interface Vector {
  id: string;
  input: string;
  canonical: string;
  fingerprint?: string;
}

// apache/avro share/test/data/schema-tests.txt, cases 000–033 (source and commit in the file).
const { vectors } = JSON.parse(fs.readFileSync(new URL('../fixtures/avro/pcf-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};

describe('CRC-64-AVRO (Rabin) fingerprint', () => {
  it('of zero bytes is EMPTY', () => {
    assert.equal(rabin(new Uint8Array(0)), EMPTY);
    assert.equal(EMPTY, 0xc15d213aa4d7a795n);
  });

  it('"null" → 7195948357588979594 (positive as a Java long)', () => {
    assert.equal(rabinSigned(Buffer.from('"null"')), 7195948357588979594n);
  });

  const withFp = vectors.filter((v) => v.fingerprint !== undefined);
  it(`matches all ${withFp.length} fingerprints of Avro's schema-tests.txt`, () => {
    assert.ok(withFp.length >= 26);
    for (const v of withFp)
      assert.equal(rabinSigned(Buffer.from(v.canonical, 'utf8')), BigInt(v.fingerprint!), `case ${v.id}: ${v.canonical}`);
  });

  it('signed and unsigned forms agree bit for bit, both signs covered', () => {
    const neg = Buffer.from('"boolean"'); // −6970731678124411036
    assert.equal(rabinSigned(neg), -6970731678124411036n);
    assert.equal(rabin(neg), (1n << 64n) - 6970731678124411036n);
  });

  it('little-endian form is what single-object records carry', () => {
    const le = rabinLE(Buffer.from('"null"'));
    assert.equal(le.length, 8);
    assert.equal(le.readBigInt64LE(0), 7195948357588979594n);
    assert.equal(fingerprintHex(rabinOfText('"null"')), 7195948357588979594n.toString(16).padStart(16, '0'));
  });
});

describe('Parsing Canonical Form', () => {
  it(`matches all ${vectors.length} canonical forms of Avro's schema-tests.txt`, () => {
    for (const v of vectors) assert.equal(canonicalFormOfText(v.input), v.canonical, `case ${v.id}`);
  });

  it('fingerprint(PCF(input)) = published fingerprint, end to end', () => {
    for (const v of vectors.filter((x) => x.fingerprint))
      assert.equal(BigInt.asIntN(64, rabinOfText(canonicalFormOfText(v.input))), BigInt(v.fingerprint!), `case ${v.id}`);
  });

  it('inherits the enclosing namespace into nested named types and references', () => {
    const s = {
      type: 'record',
      name: 'Outer',
      namespace: 'a.b',
      doc: 'x',
      fields: [
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'], default: 'X', doc: 'y' }, default: 'X' },
        { name: 'f', type: 'E' },
        { name: 'g', type: { type: 'fixed', name: 'c.F', size: 4 } },
        { name: 'h', type: { type: 'array', items: { type: 'long', logicalType: 'timestamp-millis' } } },
        { name: 'i', type: { type: 'record', name: 'In', namespace: '', fields: [] } },
      ],
    };
    assert.equal(
      canonicalForm(s),
      '{"name":"a.b.Outer","type":"record","fields":[{"name":"e","type":{"name":"a.b.E","type":"enum","symbols":["X"]}},' +
        '{"name":"f","type":"a.b.E"},{"name":"g","type":{"name":"c.F","type":"fixed","size":4}},' +
        '{"name":"h","type":{"type":"array","items":"long"}},{"name":"i","type":{"name":"In","type":"record","fields":[]}}]}',
    );
  });

  it('rejects malformed schemas with RR_SCHEMA', () => {
    for (const bad of [
      '{"type":"record","fields":[]}',
      '{"type":"enum","name":"E","symbols":[1]}',
      '{"type":"array"}',
      '{"type":"fixed","name":"F","size":-1}',
      '{not json',
    ]) {
      assert.throws(
        () => canonicalFormOfText(bad),
        (e) => isRouterError(e, 'RR_SCHEMA'),
        bad,
      );
    }
  });

  it("of every project schema equals avsc's schema() output and ignores doc edits", () => {
    const catalog = SchemaCatalog.load();
    assert.equal(catalog.entries().length, 21); // 9 current + 12 evolution
    for (const e of catalog.entries()) {
      assert.equal(JSON.stringify(e.type.schema()), e.canonical, `${e.name} ${e.version}`);
      assert.ok(!e.canonical.includes('"doc"') && !e.canonical.includes('"default"') && !e.canonical.includes('"namespace"'));
      const undocumented = JSON.parse(JSON.stringify(e.json, (k, v: unknown) => (k === 'doc' ? undefined : v)));
      assert.equal(canonicalForm(undocumented), e.canonical);
      assert.equal(avro.Type.forSchema(undocumented).name, e.type.name);
    }
  });
});
