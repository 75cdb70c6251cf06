/**
 * Upper bounds on encoded record sizes, so topics can set `max.message.bytes`
 * before the first record is written. The bounds follow Avro's binary encoding:
 * int/long are zig-zag varints (≤ 5 / ≤ 10 bytes), a string or bytes is a long
 * length then the bytes, a map/array is one block (count, items) and a 0 end.
 * Strings have no length limit in Avro, so the bound takes limits on id length
 * and on the number of runs in `applied`; writers that exceed them must be
 * rejected upstream (or the limits raised here).
 */

export interface SizeLimits {
  /** Longest id (run, rm, pairId), in UTF-8 bytes. */
  maxIdBytes: number;
  /** Most entries in PosteriorSnapshot.applied. */
  maxRuns: number;
}

export const defaultSizeLimits: SizeLimits = { maxIdBytes: 256, maxRuns: 64 };

/** The single-object header (`C3 01` + 8-byte fingerprint); Confluent's 5-byte header is smaller. */
export const HEADER_BYTES = 10;

const INT_MAX = 5;
/**
 * avsc writes a `long` from a JS number only when |n| ≤ 2^52 (it refuses more
 * as a precision loss), so its zig-zag form is < 2^54: at most 8 varint bytes
 * (10 would be the bound for a full int64 long type, which we do not use).
 */
const LONG_MAX = 8;
const DOUBLE = 8;

/** Bytes of the zig-zag varint encoding of a non-negative n (a length, or d). */
export function varintBytes(n: number): number {
  let z = n * 2; // zig-zag of n ≥ 0; exact in float64 up to 2^52
  let bytes = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    bytes++;
  }
  return bytes;
}

const lenPrefixed = (n: number): number => varintBytes(n) + n;
const idBytes = (l: SizeLimits): number => lenPrefixed(l.maxIdBytes);

/** Encoded size bound of a PosteriorSnapshot of dimension d, header included. */
export function snapshotBytes(d: number, limits: SizeLimits = defaultSizeLimits): number {
  const matrix = lenPrefixed(8 * d * d);
  const applied = limits.maxRuns === 0 ? 1 : varintBytes(limits.maxRuns) + limits.maxRuns * (idBytes(limits) + LONG_MAX) + 1;
  return (
    HEADER_BYTES +
    2 * idBytes(limits) + // run, rm
    LONG_MAX + // version
    varintBytes(d) + // d itself
    2 * DOUBLE + // lambda0, sigma2
    INT_MAX + // refreshEvery
    LONG_MAX + // n
    INT_MAX + // sinceRefresh
    2 * matrix + // precision, factor
    lenPrefixed(8 * d) + // b
    applied
  );
}

/** Encoded size bound of a PosteriorDelta with at most `rows` rows of dimension d, header included. */
export function deltaBytes(d: number, rows: number, limits: SizeLimits = defaultSizeLimits): number {
  const x = d === 0 ? 1 : varintBytes(d) + d * DOUBLE + 1;
  const row = idBytes(limits) + x + DOUBLE;
  const rowsBytes = rows === 0 ? 1 : varintBytes(rows) + rows * row + 1;
  return HEADER_BYTES + 2 * idBytes(limits) + LONG_MAX + varintBytes(d) + rowsBytes;
}

/**
 * Room for one record in a Kafka record batch on top of its value: the v2
 * batch header (61 bytes), the record's own varints, the key and headers
 * (W3C `traceparent` and friends). 16 KiB covers keys and headers up to that.
 */
export const RECORD_OVERHEAD_BYTES = 16 * 1024;

/** `max.message.bytes` for a topic whose largest value is `valueBytes`. */
export function maxMessageBytes(valueBytes: number): number {
  return valueBytes + RECORD_OVERHEAD_BYTES;
}

/** The per-item input limits a Generation is checked against at the router's edge (settings `limits`). */
export interface GenerationItemLimits {
  /** UTF-8 bytes of the prompt plus every chat message's content. */
  maxPromptBytes: number;
  /** UTF-8 bytes of one response. */
  maxResponseBytes: number;
  /** Length of a pair's vector. */
  maxVectorLength: number;
}

/**
 * Encoded size bound of a Generation with `pairs` pairs, each at the input limits: the prompt text
 * at `maxPromptBytes` (all in `prompt`; chat roles and message count are not limited and not
 * counted), both responses at `maxResponseBytes`, the vector at `maxVectorLength`, ids at
 * `limits.maxIdBytes`; header included. The input limits let such a record through the router.
 */
export function generationBytes(items: GenerationItemLimits, pairs: number, limits: SizeLimits = defaultSizeLimits): number {
  const vector = items.maxVectorLength === 0 ? 1 : varintBytes(items.maxVectorLength) + items.maxVectorLength * DOUBLE + 1;
  const pair = idBytes(limits) + 2 * lenPrefixed(items.maxResponseBytes) + vector;
  const pairsBytes = pairs === 0 ? 1 : varintBytes(pairs) + pairs * pair + 1;
  return (
    HEADER_BYTES +
    2 * idBytes(limits) + // run, promptId
    LONG_MAX + // batch
    1 +
    idBytes(limits) + // category
    lenPrefixed(items.maxPromptBytes) +
    1 + // messages: empty
    pairsBytes +
    LONG_MAX // sentAtMs
  );
}
