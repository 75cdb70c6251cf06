/**
 * Float64Array ↔ Avro `bytes` for the snapshot matrices: IEEE 754 binary64,
 * little-endian, row-major, whatever the host's byte order. Both directions
 * copy, because a decoded Buffer is a view into the Kafka message at an
 * arbitrary (often unaligned) offset.
 */
import { codecError } from './errors.ts';

const hostIsLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function f64ToBytes(values: Float64Array | readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(values.length * 8);
  if (hostIsLE && values instanceof Float64Array) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return out;
  }
  for (let i = 0; i < values.length; i++) out.writeDoubleLE(values[i]!, i * 8);
  return out;
}

/** Decodes `bytes` as float64 LE; `expected` (element count) guards against wrong-d payloads. */
export function bytesToF64(bytes: Uint8Array, expected?: number, field = 'bytes'): Float64Array {
  if (bytes.length % 8 !== 0) {
    throw codecError('RR_INVALID_RECORD', 'WRONG_VECTOR_LENGTH', `${field}: ${bytes.length} bytes is not a whole number of float64`, {
      field,
    });
  }
  const n = bytes.length / 8;
  if (expected !== undefined && n !== expected) {
    throw codecError('RR_INVALID_RECORD', 'WRONG_VECTOR_LENGTH', `${field}: ${n} float64, expected ${expected}`, {
      field,
      expected,
      actual: n,
    });
  }
  const out = new Float64Array(n);
  if (hostIsLE) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
