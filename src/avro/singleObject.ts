/**
 * Avro single-object encoding: `C3 01`, the writer schema's CRC-64-AVRO
 * fingerprint (8 bytes, little-endian), then the Avro binary body. Decoding
 * finds the writer by fingerprint in the catalog and resolves it into the
 * reader's schema, so records from older producers read with defaults filled.
 */
import type { Type } from 'avsc';
import { RouterError } from '../core/errors.ts';
import { codecError } from './errors.ts';
import { BoundsError, checkBounds } from './guard.ts';
import { fingerprintHex } from './rabin.ts';
import type { SchemaCatalog, SchemaEntry } from './registry.ts';

export const MARKER = Buffer.from([0xc3, 0x01]);
export const SINGLE_OBJECT_HEADER = 10;

const MAX_PATHS = 5;

/** Where `value` breaks `type`, as `path: value` strings (the first few, values cut short; for encode errors). */
export function invalidPaths(type: Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (p, v) => {
      if (paths.length < MAX_PATHS) paths.push(`${p.join('.').slice(0, 80) || '$'}: ${String(JSON.stringify(v) ?? v).slice(0, 40)}`);
    },
  });
  return paths;
}

/**
 * Where bodies are written before they are copied out: avsc's toBuffer writes into a 1 KiB scratch
 * and, for any larger value (a generation, a Decision), writes the whole value a second time into a
 * buffer of the size it found. Writing once into a scratch that grows to fit, behind room for the
 * header, then copying the bytes out once gives the same bytes at about half the cost.
 */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

export function encodeSingleObject(writer: SchemaEntry, value: unknown): Buffer {
  let end: number;
  try {
    // encode() returns the end position, or minus the bytes that did not fit (nothing thrown then).
    while ((end = writer.type.encode(value, scratch, SINGLE_OBJECT_HEADER)) < 0) {
      scratch = Buffer.allocUnsafeSlow(Math.max(2 * scratch.length, scratch.length - end));
    }
  } catch (err) {
    const paths = invalidPaths(writer.type, value);
    throw new RouterError('RR_ENCODE', `value does not match ${writer.name}: ${paths.join('; ') || (err as Error).message}`, {
      cause: err,
      field: paths[0],
    });
  }
  const out = Buffer.allocUnsafe(end);
  MARKER.copy(out, 0);
  writer.fingerprintLE.copy(out, MARKER.length);
  scratch.copy(out, SINGLE_OBJECT_HEADER, SINGLE_OBJECT_HEADER, end);
  return out;
}

/** The writer fingerprint of a single-object record (throws RR_DECODE when it is not one). */
export function readFingerprint(buf: Uint8Array): bigint {
  if (buf.length < SINGLE_OBJECT_HEADER || buf[0] !== MARKER[0] || buf[1] !== MARKER[1]) {
    const head = Buffer.from(buf.subarray(0, 2)).toString('hex');
    throw codecError(
      'RR_DECODE',
      'UNDECODABLE',
      `not an Avro single-object record (${buf.length} bytes, starts ${head || 'empty'}; expected c301 + 8-byte fingerprint)`,
    );
  }
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readBigUInt64LE(2);
}

/** Decode an Avro body written with `writer` into `reader`'s shape (shared by both wire formats). */
export function decodeBody(
  catalog: SchemaCatalog,
  reader: SchemaEntry,
  writer: { type: Type; key: bigint; label: string },
  body: Buffer,
): unknown {
  let resolver;
  if (writer.type !== reader.type) {
    try {
      resolver = catalog.resolver(reader.type, writer.type, writer.key);
    } catch (err) {
      throw codecError(
        'RR_UNKNOWN_SCHEMA',
        'UNKNOWN_SCHEMA',
        `writer schema ${writer.label} cannot be read as ${reader.name}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  try {
    checkBounds(writer.type, body);
    return reader.type.fromBuffer(body, resolver);
  } catch (err) {
    const why = err instanceof BoundsError ? err.message : (err as Error).message;
    throw codecError('RR_DECODE', 'UNDECODABLE', `undecodable ${reader.name} body (writer ${writer.label}, ${body.length} bytes): ${why}`, {
      cause: err,
    });
  }
}

export function decodeSingleObject(catalog: SchemaCatalog, reader: SchemaEntry, buf: Buffer): unknown {
  const fp = readFingerprint(buf);
  const writer = catalog.byFingerprint(fp);
  if (!writer) {
    throw codecError(
      'RR_UNKNOWN_SCHEMA',
      'UNKNOWN_SCHEMA',
      `unknown writer schema fingerprint ${fingerprintHex(fp)} (reading ${reader.name})`,
      { fingerprint: fingerprintHex(fp) },
    );
  }
  const label = `${writer.name} ${writer.version} (${fingerprintHex(fp)})`;
  return decodeBody(catalog, reader, { type: writer.type, key: fp, label }, buf.subarray(SINGLE_OBJECT_HEADER));
}
