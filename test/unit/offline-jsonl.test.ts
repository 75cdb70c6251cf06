import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { parseJsonlLine, readJsonl } from '../../src/offline/jsonl.ts';

const ARMS = ['rm-a', 'rm-b'];
const line = (o: Record<string, unknown>): string =>
  JSON.stringify({ id: 'ex-1', embedding: [0.5, -1, 2], labels: { 'rm-a': 1, 'rm-b': 0 }, ...o });

function rejects(text: string, field: string, arms: readonly string[] | undefined = ARMS, width: number | undefined = 3): void {
  assert.throws(
    () => parseJsonlLine(text, 17, 'data.jsonl', arms, width),
    (e) => isRouterError(e, 'RR_INVALID_JSONL') && e.field === field && e.source === 'data.jsonl:17',
    `expected RR_INVALID_JSONL on ${field} for ${text}`,
  );
}

describe('parseJsonlLine', () => {
  it('parses a valid line (labels in the expected arm order, booleans accepted)', () => {
    const ex = parseJsonlLine(line({ category: 'Math', labels: { 'rm-b': true, 'rm-a': false } }), 1, 'f', ARMS, 3)!;
    assert.equal(ex.id, 'ex-1');
    assert.equal(ex.category, 'Math');
    assert.deepEqual(ex.embedding, Float64Array.from([0.5, -1, 2]));
    assert.deepEqual(ex.labels, Uint8Array.from([0, 1]));
    assert.deepEqual(ex.arms, ARMS);
  });

  it('takes the arm order from the line when none is expected; category is optional', () => {
    const ex = parseJsonlLine(line({ labels: { z: 1, a: 0, m: 1 } }), 1, 'f')!;
    assert.deepEqual(ex.arms, ['z', 'a', 'm']);
    assert.deepEqual(ex.labels, Uint8Array.from([1, 0, 1]));
    assert.equal(ex.category, null);
  });

  it('skips blank lines', () => {
    assert.equal(parseJsonlLine('', 1, 'f'), null);
    assert.equal(parseJsonlLine('   \t', 1, 'f'), null);
  });

  const cases: [string, string, string][] = [
    ['bad JSON', '{"id": "x", "embedding": [1,2,3]', 'json'],
    ['trailing garbage', `${line({})} x`, 'json'],
    ['a JSON array', '[1, 2, 3]', 'json'],
    ['a JSON string', '"hello"', 'json'],
    ['missing id', line({ id: undefined }), 'id'],
    ['empty id', line({ id: '' }), 'id'],
    ['numeric id', line({ id: 17 }), 'id'],
    ['non-string category', line({ category: 3 }), 'category'],
    ['missing embedding', line({ embedding: undefined }), 'embedding'],
    ['non-array embedding', line({ embedding: '0.5,-1,2' }), 'embedding'],
    ['object embedding', line({ embedding: { 0: 1 } }), 'embedding'],
    ['empty embedding', line({ embedding: [] }), 'embedding'],
    ['wrong width (short)', line({ embedding: [1, 2] }), 'embedding'],
    ['wrong width (long)', line({ embedding: [1, 2, 3, 4] }), 'embedding'],
    ['"NaN" as a string', line({ embedding: [1, 'NaN', 3] }), 'embedding[1]'],
    ['"Infinity" as a string', line({ embedding: ['Infinity', 2, 3] }), 'embedding[0]'],
    [
      'null (JSON.stringify of NaN)',
      JSON.stringify({ id: 'x', embedding: [1, 2, Number.NaN], labels: { 'rm-a': 1, 'rm-b': 0 } }),
      'embedding[2]',
    ],
    [
      'an overflowing literal (1e999 → Infinity)',
      '{"id": "x", "embedding": [1, -1e999, 3], "labels": {"rm-a": 1, "rm-b": 0}}',
      'embedding[1]',
    ],
    ['a numeric string', line({ embedding: [1, 2, '3'] }), 'embedding[2]'],
    ['a nested array', line({ embedding: [1, [2], 3] }), 'embedding[1]'],
    ['missing labels', line({ labels: undefined }), 'labels'],
    ['labels as an array', line({ labels: [1, 0] }), 'labels'],
    ['empty labels', line({ labels: {} }), 'labels'],
    ['label 2', line({ labels: { 'rm-a': 2, 'rm-b': 0 } }), 'labels.rm-a'],
    ['label 0.5', line({ labels: { 'rm-a': 1, 'rm-b': 0.5 } }), 'labels.rm-b'],
    ['label "1"', line({ labels: { 'rm-a': '1', 'rm-b': 0 } }), 'labels.rm-a'],
    ['label null', line({ labels: { 'rm-a': 1, 'rm-b': null } }), 'labels.rm-b'],
    ['label -1', line({ labels: { 'rm-a': -1, 'rm-b': 0 } }), 'labels.rm-a'],
    ['a missing RM', line({ labels: { 'rm-a': 1 } }), 'labels.rm-b'],
    ['an extra RM', line({ labels: { 'rm-a': 1, 'rm-b': 0, 'rm-c': 1 } }), 'labels.rm-c'],
  ];
  for (const [name, text, field] of cases) {
    it(`rejects ${name} (field ${field})`, () => rejects(text, field));
  }

  it('puts file and line in the message', () => {
    assert.throws(() => parseJsonlLine('{', 4, 'train.jsonl'), /train\.jsonl:4: json/);
  });
});

describe('readJsonl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rr-jsonl-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const good = (id: string, labels: Record<string, unknown> = { 'rm-a': 1, 'rm-b': 0 }, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id, embedding: [1, 2, 3], labels, ...extra });

  it('reads a file: BOM, CRLF and blank lines tolerated, arms from the first line', async () => {
    const p = file(
      'ok.jsonl',
      `\uFEFF${good('a', { 'rm-a': 1, 'rm-b': 0 }, { category: 'Math' })}\r\n\r\n${good('b', { 'rm-b': true, 'rm-a': 0 })}\n\n`,
    );
    const d = await readJsonl(p);
    assert.deepEqual(d.ids, ['a', 'b']);
    assert.deepEqual(d.arms, ['rm-a', 'rm-b']);
    assert.deepEqual(d.categories, ['Math', null]);
    assert.equal(d.width, 3);
    assert.deepEqual(d.labels, [Uint8Array.from([1, 0]), Uint8Array.from([0, 1])]);
  });

  const expectJsonl = async (p: string, field: string, at: string): Promise<void> => {
    await assert.rejects(readJsonl(p), (e) => isRouterError(e, 'RR_INVALID_JSONL') && e.field === field && e.source === at);
  };

  it('reports the line number of a bad line (blank lines counted)', async () => {
    const p = file(
      'bad.jsonl',
      `${good('a')}\n\n${good('b')}\n{"id": "c", "embedding": [1, 2, "NaN"], "labels": {"rm-a": 1, "rm-b": 0}}\n`,
    );
    await expectJsonl(p, 'embedding[2]', `${p}:4`);
  });

  it('requires the same width on every line', async () => {
    const p = file('width.jsonl', `${good('a')}\n${JSON.stringify({ id: 'b', embedding: [1, 2], labels: { 'rm-a': 1, 'rm-b': 0 } })}\n`);
    await expectJsonl(p, 'embedding', `${p}:2`);
  });

  it('requires the same RMs on every line', async () => {
    await expectJsonl(
      file('missing.jsonl', `${good('a')}\n${good('b', { 'rm-a': 1 })}\n`),
      'labels.rm-b',
      `${join(dir, 'missing.jsonl')}:2`,
    );
    await expectJsonl(
      file('extra.jsonl', `${good('a')}\n${good('b', { 'rm-a': 1, 'rm-b': 0, x: 0 })}\n`),
      'labels.x',
      `${join(dir, 'extra.jsonl')}:2`,
    );
  });

  it('rejects duplicate ids', async () => {
    const p = file('dup.jsonl', `${good('a')}\n${good('b')}\n${good('a')}\n`);
    await expectJsonl(p, 'id', `${p}:3`);
  });

  it('rejects a file without examples', async () => {
    const p = file('empty.jsonl', '\n \n');
    await assert.rejects(readJsonl(p), (e) => isRouterError(e, 'RR_INVALID_JSONL') && e.source === p);
  });

  it('maps a missing file to RR_IO', async () => {
    await assert.rejects(readJsonl(join(dir, 'nope.jsonl')), (e) => isRouterError(e, 'RR_IO'));
  });
});
