/**
 * CRC-64-AVRO, the Rabin fingerprint of the Avro spec ("Schema Fingerprints").
 * Single-object encoding puts it, little-endian, after the `C3 01` marker.
 * avsc has none (its `fingerprint()` is md5), so it lives here, straight from
 * the spec's reference code: table built with
 * `fp = (fp >> 1) ^ (EMPTY & -(fp & 1))` eight times per byte.
 */

/** The fingerprint of zero bytes, and the polynomial. */
export const EMPTY = 0xc15d213aa4d7a795n;

const MASK64 = 0xffffffffffffffffn;

const TABLE: BigUint64Array = (() => {
  const t = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    // `-(fp & 1n)` is 0 or all ones (BigInt & works in two's complement), as in the spec's Java.
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
    t[i] = fp & MASK64;
  }
  return t;
})();

/** CRC-64-AVRO of `bytes` as an unsigned 64-bit BigInt. */
export function rabin(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** The same value as Java's `long` (what Avro's test vectors print). */
export function rabinSigned(bytes: Uint8Array): bigint {
  return BigInt.asIntN(64, rabin(bytes));
}

/** The 8-byte little-endian form, as single-object encoding writes it. */
export function rabinLE(bytes: Uint8Array): Buffer {
  return fingerprintToLE(rabin(bytes));
}

export function fingerprintToLE(fp: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp & MASK64);
  return out;
}

/** Fingerprint of a schema's Parsing Canonical Form text (UTF-8). */
export function rabinOfText(text: string): bigint {
  return rabin(Buffer.from(text, 'utf8'));
}

/** 16 lowercase hex digits, big-endian (for logs and messages). */
export function fingerprintHex(fp: bigint): string {
  return (fp & MASK64).toString(16).padStart(16, '0');
}
