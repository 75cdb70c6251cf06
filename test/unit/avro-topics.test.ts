import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { f64ToBytes } from '../../src/avro/f64.ts';
import { ArmPosterior } from '../../src/core/posterior.ts';
import { isRouterError } from '../../src/core/errors.ts';
import { CounterRng } from '../../src/core/rng.ts';
import {
  deadLetterValueBytes,
  DEFAULT_PARTITIONS,
  DLQ_ENVELOPE_BYTES,
  dlqMaxMessageBytes,
  RECORD_TOPIC_MAX_BYTES,
  recordTopicBases,
  topicConfigs,
  topicPlan,
} from '../../src/records/topicConfigs.ts';
import { baseOfTopic, MAX_TOPIC_LENGTH, recordKey, requestsTopic, requestsTopics, topicName } from '../../src/records/topics.ts';
import { defaultSizeLimits, deltaBytes, maxMessageBytes, snapshotBytes, varintBytes } from '../../src/records/sizes.ts';
import type { DeadLetter, PosteriorSnapshot, Score } from '../../src/records/types.ts';
import { readValue } from '../fixtures/avro/golden.ts';
import { toSnapshotRecord } from '../../streams/runtime/snapshotRecord.ts';

const codec = new SingleObjectCodec();
/** avsc's largest long without a custom long type (it checks |n| ≤ 2^52). */
const MAX_LONG = 2 ** 52;

describe('topic names', () => {
  it('prefix + base; illegal prefixes rejected', () => {
    assert.equal(topicName('rr.', 'scores'), 'rr.scores');
    assert.equal(topicName('', 'posterior-deltas'), 'posterior-deltas');
    assert.throws(
      () => topicName('rr/', 'scores'),
      (e) => isRouterError(e, 'RR_INVALID_CONFIG'),
    );
  });

  it('keeps legal RM names verbatim and sanitizes others with a hash tag', () => {
    assert.equal(requestsTopic('rr.', 'Skywork-Reward-V2-Qwen3-0.6B'), 'rr.requests.Skywork-Reward-V2-Qwen3-0.6B');
    const judge = requestsTopic('rr.', 'gpt-4.1 (judge)');
    assert.match(judge, /^rr\.requests\.gpt-4\.1_judge_-[0-9a-f]{8}$/);
    assert.equal(requestsTopic('rr.', 'gpt-4.1 (judge)'), judge, 'stable');
    assert.notEqual(requestsTopic('rr.', 'a b'), requestsTopic('rr.', 'a_b'));
    assert.notEqual(requestsTopic('rr.', 'a b'), requestsTopic('rr.', 'a  b'));
    assert.match(requestsTopic('', 'модель/ü'), /^requests\._-[0-9a-f]{8}$/);
    assert.throws(
      () => requestsTopic('rr.', ''),
      (e) => isRouterError(e, 'RR_INVALID_CONFIG'),
    );
  });

  it('fits long RM names into 249 characters', () => {
    const long = requestsTopic('rr.', 'x'.repeat(300));
    assert.equal(long.length, MAX_TOPIC_LENGTH);
    assert.match(long, /-[0-9a-f]{8}$/);
    assert.notEqual(requestsTopic('rr.', 'x'.repeat(300)), requestsTopic('rr.', 'x'.repeat(301)));
    assert.match(requestsTopic('rr.', 'y'.repeat(240 - 'rr.requests.'.length)), /^rr\.requests\.y+$/);
  });

  it('rejects pools whose topics collide, also up to Kafka\'s "." / "_" metric collision', () => {
    assert.equal(requestsTopics('rr.', ['a', 'gpt-4.1 (judge)', 'b']).size, 3);
    assert.throws(
      () => requestsTopics('rr.', ['a', 'a']),
      (e) => isRouterError(e, 'RR_INVALID_CONFIG'),
    );
    assert.throws(
      () => requestsTopics('rr.', ['m.v1', 'm_v1']),
      (e) => isRouterError(e, 'RR_INVALID_CONFIG') && /colliding/.test(e.message),
    );
  });

  it('maps full names back to bases', () => {
    assert.equal(baseOfTopic('rr.', 'rr.scores'), 'scores');
    assert.equal(baseOfTopic('rr.', requestsTopic('rr.', 'gpt-4.1 (judge)')), 'requests');
    assert.equal(baseOfTopic('rr.', 'rr.requests'), undefined);
    assert.equal(baseOfTopic('rr.', 'other.scores'), undefined);
  });

  it("keys: run:promptId, run, rm, or the dead letter's original key", () => {
    assert.equal(recordKey('scores', readValue('Score') as Score), 'run-2026-01:p-0007');
    assert.equal(recordKey('labels', readValue('Label') as never), 'run-2026-01');
    assert.equal(recordKey('posteriors', readValue('PosteriorSnapshot') as never), 'gpt-4.1 (judge)');
    assert.deepEqual(recordKey('dlq', readValue('DeadLetter') as DeadLetter), Buffer.from('run-2026-01'));
  });
});

describe('topic configs', () => {
  it('posteriors are compacted with max.message.bytes sized from d', () => {
    const c = topicConfigs('posteriors', { d: 768 });
    assert.equal(c['cleanup.policy'], 'compact');
    assert.ok(Number(c['segment.ms']) > 0);
    assert.equal(Number(c['max.message.bytes']), maxMessageBytes(snapshotBytes(768)));
    assert.ok(Number(c['max.message.bytes']) > 16 * 768 * 768);
  });

  it('the plan lists every topic once, one request topic per RM', () => {
    const plan = topicPlan('rr.', ['a', 'gpt-4.1 (judge)'], { d: 64, partitionsByBase: { posteriors: 1 } });
    assert.equal(plan.length, 8 + 2);
    assert.equal(new Set(plan.map((t) => t.name)).size, plan.length);
    assert.equal(plan.find((t) => t.base === 'posteriors')!.partitions, 1);
    assert.equal(plan.find((t) => t.base === 'scores')!.partitions, DEFAULT_PARTITIONS);
    assert.deepEqual(plan.find((t) => t.base === 'scores')!.configs, { 'max.message.bytes': String(RECORD_TOPIC_MAX_BYTES) });
    // A dead letter wraps the original bytes: at d = 768 it must fit a whole snapshot.
    const dlq768 = Number(topicConfigs('dlq', { d: 768 })['max.message.bytes']);
    assert.ok(dlq768 > Number(topicConfigs('posteriors', { d: 768 })['max.message.bytes']));
  });

  it('every topic that carries user payloads sets max.message.bytes explicitly; dlq holds the largest whole plus the letter', () => {
    for (const opts of [{ d: 8 }, { d: 768 }, { d: 8, recordBytes: 4 * 1024 * 1024 }]) {
      const plan = topicPlan('rr.', ['a', 'b'], opts);
      const limit = (t: (typeof plan)[number]): number => Number(t.configs['max.message.bytes']);
      for (const t of plan.filter((t) => recordTopicBases.includes(t.base)))
        assert.equal(limit(t), opts.recordBytes ?? RECORD_TOPIC_MAX_BYTES, `${t.name} ${JSON.stringify(opts)}`);
      assert.equal(plan.filter((t) => t.base === 'requests').length, 2);
      const dlq = plan.find((t) => t.base === 'dlq')!;
      assert.equal(limit(dlq), dlqMaxMessageBytes(opts));
      for (const t of plan.filter((t) => t.base !== 'dlq' && t.configs['max.message.bytes'] !== undefined)) {
        // The whole of any record a topic accepts fits a letter's value, with DLQ_ENVELOPE_BYTES to spare.
        assert.ok(deadLetterValueBytes(limit(dlq)) >= limit(t) + DLQ_ENVELOPE_BYTES, `${t.name} ${JSON.stringify(opts)}`);
      }
    }
  });
});

function maxSnapshot(d: number): PosteriorSnapshot {
  // The largest values the limits allow: longest ids, most runs, huge counters.
  const id = (c: string): string => c.repeat(defaultSizeLimits.maxIdBytes);
  const applied = Object.fromEntries(
    Array.from({ length: defaultSizeLimits.maxRuns }, (_, i) => [String(i).padStart(defaultSizeLimits.maxIdBytes, 'r'), MAX_LONG]),
  );
  const dd = new Float64Array(d * d).fill(Math.PI);
  return {
    run: id('r'),
    rm: id('m'),
    version: MAX_LONG,
    d,
    lambda0: 50,
    sigma2: 1,
    refreshEvery: 2 ** 31 - 1,
    n: -MAX_LONG,
    sinceRefresh: -(2 ** 31),
    precision: f64ToBytes(dd),
    b: f64ToBytes(new Float64Array(d)),
    factor: f64ToBytes(dd),
    applied,
  };
}

describe('size bounds', () => {
  it('varint lengths', () => {
    assert.deepEqual([0, 63, 64, 8191, 8192].map(varintBytes), [1, 1, 2, 2, 3]);
  });

  for (const d of [8, 64, 768]) {
    it(`snapshotBytes(${d}) bounds the encoded size and equals it for the worst case`, () => {
      assert.equal(codec.encodeSync('posteriors', maxSnapshot(d)).length, snapshotBytes(d));
      // A real posterior of a short run id is well within it.
      const p = ArmPosterior.fromPrior(new Float64Array(d).fill(0.01), { lambda0: 50, sigma2: 1, refreshEvery: 2048 }).snapshot();
      const real = toSnapshotRecord({ run: 'run-1', rm: 'gpt-4.1 (judge)', version: 12, posterior: p });
      const size = codec.encodeSync('posteriors', real).length;
      assert.ok(size <= snapshotBytes(d) && size >= 16 * d * d);
    });
  }

  it('deltaBytes bounds a delta with long ids', () => {
    const s = new CounterRng(3, 'sizes').sequence('x');
    for (const [d, rows] of [
      [8, 0],
      [64, 100],
      [768, 7],
    ] as const) {
      const delta = {
        run: 'r'.repeat(256),
        batch: MAX_LONG,
        rm: 'm'.repeat(256),
        d,
        rows: Array.from({ length: rows }, (_, i) => ({
          pairId: String(i).padStart(256, 'p'),
          x: Array.from({ length: d }, () => s.normal()),
          r: 1,
        })),
      };
      const size = codec.encodeSync('posterior-deltas', delta).length;
      assert.equal(size, deltaBytes(d, rows), `d=${d} rows=${rows}`);
    }
  });
});
