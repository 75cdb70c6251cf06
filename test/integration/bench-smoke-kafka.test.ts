/**
 * The benchmarks that need a real broker, at a tiny size, on the broker `npm test` starts
 * (KAFKA_BROKERS): the pipeline bench (in-process apps and, with --processes, one process per app
 * through bench/pipeline-app.ts) and the tracing bench with --kafka. The rest of bench/ is smoke-
 * tested in test/unit/bench-smoke.test.ts; as there, each bench must exit 0 within its limit and
 * print finite figures, and no wall-clock figure is asserted on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRun, figure, runBench, SMOKE_TIMEOUT_MS, type BenchRun } from '../../bench/smoke.ts';
import { brokersFromEnv } from '../helpers/kafka.ts';

const LIMIT = { timeout: SMOKE_TIMEOUT_MS + 15_000 };

function assertRan(r: BenchRun): void {
  assert.ok(!r.timedOut && r.code === 0, describeRun(r));
}

describe('benchmarks on a real broker at a tiny size (bench/)', () => {
  const env = { ...process.env, KAFKA_BROKERS: brokersFromEnv().join(','), KAFKAJS_NO_PARTITIONER_WARNING: '1' };

  it('pipeline (2 batches, 1 repeat, 5 latency records, --processes): ratios to the pass-throughs, router latency', LIMIT, async () => {
    const r = await runBench('bench/pipeline.bench.ts', ['--batches', '2', '--repeats', '1', '--latency', '5', '--processes'], { env });
    assertRan(r);
    figure(r, /ratio to the 1-hop pass-through \(the issue's figure\): ([\d.]+)×/, 'pipeline ÷ 1-hop pass-through');
    figure(r, /ratio to the 3-hop pass-through \(same depth\): +([\d.]+)×/, 'pipeline ÷ 3-hop pass-through');
    figure(r, /one process per app ÷ 1-hop pass-through: ([\d.]+)×/, 'one process per app ÷ 1-hop pass-through');
    figure(r, /router stage: p50 (\d+) ms/, 'router stage latency p50');
    assert.equal(figure(r, /added latency per record, one at a time \(n = (\d+)\)/, 'latency samples'), 5);
  });

  it('tracing on the broker (--kafka, 2 batches × 4 prompts, 1 repeat, every trace)', LIMIT, async () => {
    const r = await runBench('bench/tracing.bench.ts', ['--kafka', '--batches', '2', '--repeats', '1', '--prompts', '4', '--sample', '1'], {
      env,
    });
    assertRan(r);
    assert.match(r.out, /^tracing bench \(real broker,/m, describeRun(r));
    figure(r, /^ {2}on\/off, every trace: ([\d.]+)x of medians/m, 'on/off, every trace');
    assert.ok(figure(r, /exported (\d+), failed/, 'spans exported') > 0, 'spans were exported');
  });
});
