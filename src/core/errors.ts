/**
 * The one coded error module. Every error the project throws on purpose is a
 * `RouterError` with a closed `code`, a `retriable` flag and structured fields,
 * so callers (and the dead-letter path) can branch on data, not on messages.
 */

export const errorCodes = [
  'RR_INVALID_CONTEXT', // context vector of the wrong length, or NaN/Inf in it
  'RR_UNKNOWN_ARM', // an RM id / arm index the router does not know
  'RR_INVALID_CONFIG', // a setting out of range
  'RR_INVALID_PROFILE', // a malformed RM profile file
  'RR_INVALID_JSONL', // a malformed line of an offline training file
  'RR_INVALID_VERDICTS', // a malformed line of a recorded-verdicts stream file (eval --stream)
  'RR_INVALID_PRIOR', // a malformed prior file
  'RR_INVALID_REWARD', // NaN/Inf reward or loss
  'RR_INVALID_DELTA', // a malformed posterior delta
  'RR_NUMERICAL', // a posterior lost positive definiteness beyond repair
  'RR_IO', // a file could not be read or written
  'RR_BROKER', // the Kafka broker could not be started or reached
  'RR_DECODE', // bytes that are not a decodable Avro record (bad marker/magic, truncated or garbage body)
  'RR_UNKNOWN_SCHEMA', // a writer schema (fingerprint / registry id) the reader does not know or cannot resolve
  'RR_ENCODE', // a value that does not match its Avro schema on encode
  'RR_SCHEMA', // a malformed or conflicting .avsc schema file
  'RR_INVALID_RECORD', // a decoded record that breaks its contract (wrong vector length, NaN/Inf, bad kind)
  'RR_REGISTRY', // the Confluent schema registry could not be reached or answered an error
  'RR_BUS', // a bus operation was refused or failed (unknown topic, fenced producer, closed client, timeout)
  'RR_ENCODER', // the text encoder could not be installed, loaded or run (missing model files, checksum, runtime failure)
  'RR_ENCODER_MISMATCH', // a prior trained in another encoder's space than the router's encoder
  'RR_REPLAY', // a replay or trace that cannot run: no such recorded run, pair or namespace, or a target namespace already in use
  'RR_RM', // an RM backend could not score (unreachable, timed out, breaker open, a reply that is not a score, a model that will not load)
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface RouterErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  /** Which field of the input was wrong, e.g. `context[3]` or `models.gpt-4.1.Math`. */
  field?: string;
  /** Where the input came from, e.g. `offline.jsonl:17`. */
  source?: string;
  [extra: string]: unknown;
}

export class RouterError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly field: string | undefined;
  readonly source: string | undefined;

  constructor(code: ErrorCode, message: string, options: RouterErrorOptions = {}) {
    const { cause, retriable = false, field, source, ...extra } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RouterError';
    this.code = code;
    this.retriable = retriable;
    this.field = field;
    this.source = source;
    // Extra structured fields (armId, expected, actual...) stay enumerable so they show up in logs.
    Object.assign(this, extra);
  }
}

export function isRouterError(err: unknown, code?: ErrorCode): err is RouterError {
  return err instanceof RouterError && (code === undefined || err.code === code);
}

/** Throws `RR_INVALID_CONFIG` unless `ok`. */
export function requireConfig(ok: boolean, field: string, message: string): asserts ok {
  if (!ok) throw new RouterError('RR_INVALID_CONFIG', `${field}: ${message}`, { field });
}
