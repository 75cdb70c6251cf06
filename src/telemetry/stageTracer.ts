/**
 * The RecordTracer of a consume → produce stage (router, scorers, labeler): a `process` span per
 * record, its context on every output (dead letters included, so a dead letter is in the trace).
 */
import type { RecordTracer, TracedRecord } from '../operators/traceRecords.ts';
import { Telemetry } from './telemetry.ts';

export function stageTracer(tel: Telemetry, stage: string, group: string): RecordTracer {
  return {
    start(record): TracedRecord {
      const span = tel.process(record, stage, group);
      return {
        finish(output) {
          tel.inject(span, output.out);
          span.end();
          return output;
        },
        fail: (err) => Telemetry.end(span, err),
      };
    },
  };
}
