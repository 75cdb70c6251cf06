/**
 * Codec errors are RouterErrors with a `reason` that is a DeadLetter reason
 * symbol, so a stream app can dead-letter any caught error with
 * `reasonOf(err)` and never parse a message.
 */
import { RouterError, type ErrorCode, type RouterErrorOptions } from '../core/errors.ts';
import { deadLetterReasons, type DeadLetterReason } from '../records/types.ts';

export function codecError(code: ErrorCode, reason: DeadLetterReason, message: string, options: RouterErrorOptions = {}): RouterError {
  return new RouterError(code, message, { ...options, reason });
}

/** Default reason per code, for errors thrown without one (core validation, registry outages). */
const reasonByCode: Partial<Record<ErrorCode, DeadLetterReason>> = {
  RR_DECODE: 'UNDECODABLE',
  RR_UNKNOWN_SCHEMA: 'UNKNOWN_SCHEMA',
  RR_INVALID_CONTEXT: 'WRONG_VECTOR_LENGTH',
  RR_INVALID_REWARD: 'NON_FINITE',
  RR_UNKNOWN_ARM: 'UNKNOWN_RM',
};

/** The DeadLetter reason of any error: its own `reason`, else one derived from its code, else INVALID_RECORD. */
export function reasonOf(err: unknown): DeadLetterReason {
  if (err instanceof RouterError) {
    const own = (err as RouterError & { reason?: unknown }).reason;
    if (typeof own === 'string' && (deadLetterReasons as readonly string[]).includes(own)) return own as DeadLetterReason;
    return reasonByCode[err.code] ?? 'INVALID_RECORD';
  }
  return 'INVALID_RECORD';
}
