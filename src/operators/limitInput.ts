import { map, type OperatorFunction } from 'rxjs';
import { codecError } from '../avro/errors.ts';
import type { DeadLetterReason, Generation } from '../records/types.ts';
import type { Rejected, Work } from './types.ts';

/** Limits on what a trainer may send, checked at the router's edge before any encoder or routing work. */
export interface InputLimits {
  /** UTF-8 bytes of the prompt text plus every chat message's content. */
  maxPromptBytes: number;
  /** UTF-8 bytes of one response (A or B) of a pair. */
  maxResponseBytes: number;
  /** Length of a pair's context vector (the trainer's `embedding`). */
  maxVectorLength: number;
  /** Pairs in one generation record (one prompt). */
  maxPairsPerPrompt: number;
}

const bytes = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));

const reject = (work: Work<Generation>, reason: DeadLetterReason, message: string, extra: Record<string, unknown> = {}): Rejected => ({
  record: work.record,
  error: codecError('RR_INVALID_RECORD', reason, message, extra),
  reason,
});

/** Why one pair breaks the per-pair limits, or null (used by `validateGeneration`, so pair positions stay as sent). */
export function pairLimitProblem(
  p: { pairId: string; responseA: string; responseB: string; embedding: readonly number[] },
  limits: Pick<InputLimits, 'maxResponseBytes' | 'maxVectorLength'>,
): { reason: DeadLetterReason; message: string } | null {
  const longest = Math.max(bytes(p.responseA), bytes(p.responseB));
  if (longest > limits.maxResponseBytes)
    return {
      reason: 'RESPONSE_TOO_LARGE',
      message: `pair ${p.pairId}: a response of ${longest} bytes, the limit is ${limits.maxResponseBytes}`,
    };
  if (p.embedding.length > limits.maxVectorLength)
    return {
      reason: 'VECTOR_TOO_LONG',
      message: `pair ${p.pairId}: a vector of length ${p.embedding.length}, the limit is ${limits.maxVectorLength}`,
    };
  return null;
}

/**
 * Enforces the record-level input limits before any encoder or routing work: a prompt over its size
 * or with too many pairs is rejected whole (PROMPT_TOO_LARGE, TOO_MANY_PAIRS). The per-pair limits
 * (RESPONSE_TOO_LARGE, VECTOR_TOO_LONG) are checked by `validateGeneration` with `pairLimitProblem`,
 * so the other pairs of the record go on with their positions unchanged.
 */
export function limitInput(
  limits: Pick<InputLimits, 'maxPromptBytes' | 'maxPairsPerPrompt'>,
): OperatorFunction<Work<Generation>, Work<Generation>> {
  return map((work): Work<Generation> => {
    const g = work.value;
    if (g === undefined) return work;
    const promptBytes = bytes(g.prompt) + (g.messages ?? []).reduce((n, m) => n + bytes(m.content), 0);
    if (promptBytes > limits.maxPromptBytes) {
      return {
        record: work.record,
        value: undefined,
        rejected: [
          ...work.rejected,
          reject(
            work,
            'PROMPT_TOO_LARGE',
            `prompt ${g.promptId}: ${promptBytes} bytes of prompt text, the limit is ${limits.maxPromptBytes}`,
          ),
        ],
      };
    }
    if (g.pairs.length > limits.maxPairsPerPrompt) {
      return {
        record: work.record,
        value: undefined,
        rejected: [
          ...work.rejected,
          reject(work, 'TOO_MANY_PAIRS', `prompt ${g.promptId}: ${g.pairs.length} pairs, the limit is ${limits.maxPairsPerPrompt}`),
        ],
      };
    }
    return work;
  });
}
