/**
 * Decoding and validating the aggregator's input: a decision it may need later, a LOSS, a
 * BATCH_END, a record of another run (not this aggregator's), or a reason to dead-letter it.
 * Validation happens here, on arrival, so buildDeltas never meets a record it would refuse.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import { codecError } from '../../src/avro/errors.ts';
import type { BusRecord } from '../../src/bus/types.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import type { LoopSettings } from '../runtime/context.ts';

export interface KeptDecision {
  batch: number;
  arm: number;
  x: Float64Array;
}

export type AggregatorInput =
  /** A decisions record's pairs (one for a v1 record, a prompt's for v2), all of one batch. */
  | { kind: 'decision'; pairs: { pairId: string; decision: KeptDecision }[] }
  | { kind: 'loss'; batch: number; pairId: string; loss: number }
  | { kind: 'end'; batch: number; expected: number }
  | { kind: 'foreign'; run: string }
  | { kind: 'dead'; err: unknown };

const invalid = (message: string): unknown => codecError('RR_INVALID_RECORD', 'INVALID_RECORD', message);

export async function classifyInput(
  codec: RecordCodec,
  s: LoopSettings,
  d: number,
  decisionsTopic: string,
  r: BusRecord,
): Promise<AggregatorInput> {
  if (r.value === null) return { kind: 'dead', err: codecError('RR_DECODE', 'UNDECODABLE', 'record has no value') };
  try {
    return r.topic === decisionsTopic ? await decision(codec, s, d, r.value) : await feedback(codec, s, r.value);
  } catch (err) {
    return { kind: 'dead', err };
  }
}

async function decision(codec: RecordCodec, s: LoopSettings, d: number, value: Buffer): Promise<AggregatorInput> {
  const rec = await codec.decode('decisions', value);
  if (rec.run !== s.run) return { kind: 'foreign', run: rec.run };
  // Any bad pair dead-letters the whole record (a v2 record is one prompt's routing).
  return {
    kind: 'decision',
    pairs: pairDecisions(rec).map((dec) => {
      const arm = s.arms.indexOf(dec.chosenRm);
      if (arm < 0)
        throw codecError('RR_UNKNOWN_ARM', 'UNKNOWN_RM', `decision ${dec.pairId} names unknown RM ${JSON.stringify(dec.chosenRm)}`);
      if (dec.context.length !== d) {
        throw codecError(
          'RR_INVALID_CONTEXT',
          'WRONG_VECTOR_LENGTH',
          `decision ${dec.pairId} has a context of length ${dec.context.length}, expected ${d}`,
        );
      }
      if (!dec.context.every(Number.isFinite))
        throw codecError('RR_INVALID_CONTEXT', 'NON_FINITE', `decision ${dec.pairId} has a non-finite context entry`);
      return { pairId: dec.pairId, decision: { batch: dec.batch, arm, x: Float64Array.from(dec.context) } };
    }),
  };
}

async function feedback(codec: RecordCodec, s: LoopSettings, value: Buffer): Promise<AggregatorInput> {
  const fb = await codec.decode('feedback', value);
  if (fb.run !== s.run) return { kind: 'foreign', run: fb.run };
  if (fb.kind === 'BATCH_END') {
    if (fb.expectedPairs === null || !Number.isInteger(fb.expectedPairs) || fb.expectedPairs < 0) {
      throw invalid(`BATCH_END of batch ${fb.batch} has no valid expectedPairs`);
    }
    return { kind: 'end', batch: fb.batch, expected: fb.expectedPairs };
  }
  if (fb.pairId === null || fb.loss === null) throw invalid(`LOSS of batch ${fb.batch} lacks pairId or loss`);
  if (!Number.isFinite(fb.loss)) throw codecError('RR_INVALID_REWARD', 'NON_FINITE', `LOSS of pair ${fb.pairId} is ${fb.loss}`);
  return { kind: 'loss', batch: fb.batch, pairId: fb.pairId, loss: fb.loss };
}
