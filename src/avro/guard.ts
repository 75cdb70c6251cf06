/**
 * A bounds pass over an Avro body before avsc decodes it. avsc trusts block
 * counts: garbage whose array count reads as 10^9 makes it loop 10^9 times
 * (reads past the end return 0 until the final length check). Here every count
 * is checked against the bytes left, so undecodable input fails in O(length).
 */
import type { Type } from 'avsc';

interface Tap {
  buf: Uint8Array;
  pos: number;
}

/** Inner shapes of avsc's types (public getters in avsc 5.x, untyped in its .d.ts). */
interface Inner {
  typeName: string;
  itemsType?: Type;
  valuesType?: Type;
  types?: Type[];
  fields?: { type: Type }[];
  symbols?: string[];
  size?: number;
  underlyingType?: Type;
}

/** Items that can encode in zero bytes (null, empty records) are capped by this many in total. */
const MAX_EMPTY_ITEMS = 1 << 20;

export class BoundsError extends Error {}

function readLong(tap: Tap): number {
  let z = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    const b = tap.buf[tap.pos++];
    if (b === undefined) throw new BoundsError('truncated varint');
    z += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    scale *= 128;
  }
  throw new BoundsError('varint longer than 10 bytes');
}

function advance(tap: Tap, n: number): void {
  if (n < 0 || tap.pos + n > tap.buf.length) throw new BoundsError(`length ${n} at byte ${tap.pos} runs past the end (${tap.buf.length})`);
  tap.pos += n;
}

function minBytes(t: Type): number {
  const i = t as unknown as Inner;
  switch (i.typeName) {
    case 'null':
      return 0;
    case 'record':
    case 'error':
      return (i.fields ?? []).length > 0 ? 1 : 0; // conservative: any field but null takes ≥ 1 byte
    case 'fixed':
      return i.size ?? 0;
    default:
      return 1;
  }
}

/** Bytes every value of `t` takes when that is one fixed number (double, float, boolean, fixed), else null. */
function fixedWidth(t: Type): number | null {
  const i = t as unknown as Inner;
  switch (i.typeName) {
    case 'double':
      return 8;
    case 'float':
      return 4;
    case 'boolean':
      return 1;
    case 'fixed':
      return (i.size ?? 0) > 0 ? i.size! : null;
    default:
      return null;
  }
}

/** Reads the blocks of an array or map; `items(n)` checks the n items of one block. */
function blocks(tap: Tap, item: Type, items: (n: number) => void, budget: { empty: number }): void {
  for (;;) {
    let n = readLong(tap);
    if (n === 0) return;
    if (n < 0) {
      n = -n;
      readLong(tap); // block size in bytes
    }
    const left = tap.buf.length - tap.pos;
    if (minBytes(item) > 0 ? n > left : (budget.empty -= n) < 0) throw new BoundsError(`block of ${n} items with ${left} bytes left`);
    items(n);
  }
}

function walk(t: Type, tap: Tap, budget: { empty: number }): void {
  const i = t as unknown as Inner;
  const name = i.typeName;
  if (name.startsWith('logical:') && i.underlyingType) return walk(i.underlyingType, tap, budget);
  switch (name) {
    case 'null':
      return;
    case 'boolean':
      return advance(tap, 1);
    case 'int':
    case 'long':
      readLong(tap);
      return;
    case 'float':
      return advance(tap, 4);
    case 'double':
      return advance(tap, 8);
    case 'string':
    case 'bytes':
      return advance(tap, readLong(tap));
    case 'fixed':
      return advance(tap, i.size ?? 0);
    case 'enum': {
      const k = readLong(tap);
      if (k < 0 || k >= (i.symbols ?? []).length) throw new BoundsError(`enum index ${k} out of range`);
      return;
    }
    case 'array': {
      // Items of one fixed width (doubles of a context, floats, booleans, fixed): a block is checked
      // as one span instead of item by item; the same bounds hold, in O(blocks) instead of O(items).
      const width = fixedWidth(i.itemsType!);
      if (width !== null) return blocks(tap, i.itemsType!, (n) => advance(tap, n * width), budget);
      return blocks(
        tap,
        i.itemsType!,
        (n) => {
          for (let k = 0; k < n; k++) walk(i.itemsType!, tap, budget);
        },
        budget,
      );
    }
    case 'map':
      return blocks(
        tap,
        i.valuesType!,
        (n) => {
          for (let k = 0; k < n; k++) {
            advance(tap, readLong(tap));
            walk(i.valuesType!, tap, budget);
          }
        },
        budget,
      );
    case 'union:unwrapped':
    case 'union:wrapped': {
      const k = readLong(tap);
      const branch = (i.types ?? [])[k];
      if (branch === undefined) throw new BoundsError(`union branch ${k} out of range`);
      return walk(branch, tap, budget);
    }
    case 'record':
    case 'error':
      for (const f of i.fields ?? []) walk(f.type, tap, budget);
      return;
    default:
      throw new BoundsError(`unsupported Avro type ${name}`);
  }
}

/** Throws BoundsError unless `body` is exactly one value of writer type `t` as far as lengths go. */
export function checkBounds(t: Type, body: Uint8Array): void {
  const tap = { buf: body, pos: 0 };
  walk(t, tap, { empty: MAX_EMPTY_ITEMS });
  if (tap.pos !== body.length) throw new BoundsError(`${body.length - tap.pos} trailing bytes`);
}
