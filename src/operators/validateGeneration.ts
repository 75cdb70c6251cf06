import { map, type OperatorFunction } from 'rxjs';
import { codecError } from '../avro/errors.ts';
import { identityOrProject } from '../core/projection.ts';
import type { PriorFile } from '../core/prior.ts';
import type { Generation, GenerationPair } from '../records/types.ts';
import { pairLimitProblem, type InputLimits } from './limitInput.ts';
import type { Rejected, Work } from './types.ts';

/** A generation's routable pairs: each with its position in the prompt and its context as routed. */
export interface RoutableGeneration {
  generation: Generation;
  pairs: GenerationPair[];
  /** Position of each routable pair in `generation.pairs`. */
  index: number[];
  /** The router's unit-norm d-vector of each pair (`identityOrProject` of its embedding). */
  contexts: Float64Array[];
}

export interface ValidateConfig {
  run: string;
  prior: Pick<PriorFile, 'd' | 'projection'>;
  /** Pair ids already routed in this run; routed pairs are added (a later copy is DUPLICATE_PAIR). */
  seen: Set<string>;
  /**
   * Prompt ids already routed in this run (a prompt with at least one routed pair is added). A new
   * pair under a prompt id in it is DUPLICATE_PROMPT (a pair id already routed stays DUPLICATE_PAIR);
   * absent = prompt ids are not checked.
   */
  seenPrompts?: Set<string>;
  /** Per-pair input limits (RESPONSE_TOO_LARGE, VECTOR_TOO_LONG), checked first; none when absent. */
  limits?: Pick<InputLimits, 'maxResponseBytes' | 'maxVectorLength'>;
}

/** Why one pair cannot be routed, or null. Checked here (not by `identityOrProject`) so NaN is NON_FINITE. */
function pairProblem(p: GenerationPair, width: number, seen: ReadonlySet<string>): { reason: Rejected['reason']; message: string } | null {
  if (seen.has(p.pairId)) return { reason: 'DUPLICATE_PAIR', message: `pair ${p.pairId} was already routed in this run` };
  if (p.embedding.length === 0)
    return {
      reason: 'WRONG_VECTOR_LENGTH',
      message: `pair ${p.pairId}: no embedding, and the router could not embed it (no text encoder, or no prompt text); the prior expects width ${width}`,
    };
  if (p.embedding.length !== width)
    return {
      reason: 'WRONG_VECTOR_LENGTH',
      message: `pair ${p.pairId}: embedding has length ${p.embedding.length}, the prior expects ${width}`,
    };
  const bad = p.embedding.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return { reason: 'NON_FINITE', message: `pair ${p.pairId}: embedding[${bad}] is ${p.embedding[bad]}` };
  return null;
}

/**
 * Checks each pair of a generation and computes its routing context. Bad pairs
 * (duplicate id, a new pair under a prompt id already routed, wrong embedding width,
 * NaN/Inf) become rejections; the other
 * pairs of the same record go on. A generation of another run is rejected whole.
 */
export function validateGeneration(cfg: ValidateConfig): OperatorFunction<Work<Generation>, Work<RoutableGeneration>> {
  const width = cfg.prior.projection === null ? cfg.prior.d : cfg.prior.projection.inputDim;
  return map((work): Work<RoutableGeneration> => {
    const g = work.value;
    if (g === undefined) return { ...work, value: undefined };
    if (g.run !== cfg.run) {
      return {
        record: work.record,
        value: undefined,
        rejected: [
          ...work.rejected,
          {
            record: work.record,
            error: codecError(
              'RR_INVALID_RECORD',
              'INVALID_RECORD',
              `generation of run ${JSON.stringify(g.run)}, this loop is ${JSON.stringify(cfg.run)}`,
            ),
            reason: 'INVALID_RECORD',
          },
        ],
      };
    }
    const rejected = [...work.rejected];
    const out: RoutableGeneration = { generation: g, pairs: [], index: [], contexts: [] };
    const inRecord = new Set<string>();
    const promptSeen = cfg.seenPrompts?.has(g.promptId) === true;
    g.pairs.forEach((p, i) => {
      const problem =
        (cfg.limits ? pairLimitProblem(p, cfg.limits) : null) ??
        pairProblem(p, width, inRecord.has(p.pairId) ? new Set([p.pairId]) : cfg.seen) ??
        (promptSeen
          ? { reason: 'DUPLICATE_PROMPT' as const, message: `pair ${p.pairId}: prompt ${g.promptId} was already routed in this run` }
          : null);
      if (problem) {
        rejected.push({
          record: work.record,
          error: codecError('RR_INVALID_RECORD', problem.reason!, problem.message, { pairId: p.pairId }),
          reason: problem.reason,
        });
        return;
      }
      inRecord.add(p.pairId);
      out.pairs.push(p);
      out.index.push(i);
      out.contexts.push(identityOrProject(cfg.prior, p.embedding));
    });
    for (const id of inRecord) cfg.seen.add(id);
    if (inRecord.size > 0) cfg.seenPrompts?.add(g.promptId);
    return { record: work.record, value: out, rejected };
  });
}
