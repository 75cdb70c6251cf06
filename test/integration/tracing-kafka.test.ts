// Tracing on the real broker, exported over OTLP/HTTP to a local receiver: one pair's trace runs
// from the trainer's send through router, scorer, labeler, trainer and aggregator (the route span
// carries the decision exactly as `decisions` records it), into the transactional send of the
// pair's delta row; the delta record's own span links to it and the store continues the delta's
// trace into the posterior snapshot. Every record on the loop's topics carries a traceparent.
// Metrics: decisions per RM, the reward histogram, dead letters by reason and consumer lag.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { counterClock } from '../../src/bus/memory/index.ts';
import type { Bus, BusRecord } from '../../src/bus/types.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { topicName } from '../../src/records/topics.ts';
import { meterBus, startTelemetry } from '../../src/telemetry/index.ts';
import { tracePair } from '../../streams/replay/trace.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { startOtlpReceiver, type ReceivedSpan } from '../helpers/otlpReceiver.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, testLogLevel, uniqueName } from '../helpers/kafka.ts';
import { quietLog, testSettings } from '../unit/streams-fixtures.ts';

const BATCHES = 4;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

function traceparent(r: BusRecord): { traceId: string; spanId: string } {
  const m = TRACEPARENT.exec(r.headers.traceparent?.toString() ?? '');
  assert.ok(m, `${r.topic}[${r.partition}]@${r.offset} has no traceparent header`);
  return { traceId: m[1]!, spanId: m[2]! };
}

describe('tracing on the real broker', { timeout: 300_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it('one pair, one trace across five stages and a transactional send; every record carries it; metrics exported', async () => {
    const receiver = await startOtlpReceiver();
    cleanup.push(() => receiver.close());
    const otel = startTelemetry({
      serviceName: 'rr-tracing-test',
      endpoint: receiver.url,
      protocol: 'http/json',
      metricIntervalMs: 60_000,
      brokers: brokersFromEnv(),
    });
    assert.ok(otel !== null);
    const prefix = `${uniqueName('trace')}.`;
    const settings = testSettings({ prefix });
    const codec = new SingleObjectCodec();
    const raw: Bus = createKafkaBus({
      brokers: brokersFromEnv(),
      clientId: uniqueName('trace'),
      logLevel: testLogLevel(),
      consumerTiming: TEST_CONSUMER_SETTINGS,
    });
    cleanup.push(() => raw.close());
    const bus = meterBus(raw, otel.telemetry, { app: 'loop', codec, dlqTopic: topicName(prefix, 'dlq') });
    // One undecodable generation: a dead letter (UNDECODABLE) for the metric, the loop goes on.
    await createLoopTopics(bus, settings);
    const garbage = await bus.producer();
    await garbage.send([{ topic: topicName(prefix, 'generations'), key: Buffer.from('garbage'), value: Buffer.from('not avro') }]);
    await garbage.close();

    const clock = counterClock();
    const summary = await runLoop({ bus, settings, batches: BATCHES, clock, log: quietLog, codec });
    assert.equal(summary.batches, BATCHES);
    assert.deepEqual(summary.deadLetters, { UNDECODABLE: 1 });
    const read = async (base: Parameters<typeof topicName>[1]) => bus.readToEnd(topicName(prefix, base));
    const decisions = await read('decisions');
    const feedback = await read('feedback');
    const deltas = await read('posterior-deltas');
    const posteriors = await read('posteriors');
    // Every record the loop produced carries trace context, transactional sends (deltas, posteriors) included.
    for (const base of ['generations', 'decisions', 'scores', 'labels', 'feedback', 'posterior-deltas', 'posteriors'] as const) {
      const records = (await read(base)).filter((r) => r.key?.toString() !== 'garbage');
      assert.ok(records.length > 0, base);
      for (const r of records) traceparent(r);
    }
    await otel.shutdown(); // flushes spans and the last metrics
    const spans = receiver.spans;
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    // The pair: the first LOSS of the last batch (kept, so its row is in a delta).
    const losses = await Promise.all(feedback.map(async (r) => ({ r, f: await codec.decode('feedback', r.value!) })));
    const loss = losses.find((x) => x.f.kind === 'LOSS' && x.f.batch === BATCHES - 1)!;
    const pairId = loss.f.pairId!;
    const all = (await Promise.all(decisions.map(async (r) => pairDecisions(await codec.decode('decisions', r.value!))))).flat();
    const decision = all.find((d) => d.pairId === pairId)!;
    const route = spans.find((s) => s.name === 'route pair' && s.attributes['rr.pair.id'] === pairId);
    assert.ok(route, `no route span for ${pairId}`);
    const trace = spans.filter((s) => s.traceId === route.traceId);

    // The decision as span attributes, exactly as recorded.
    const a = route.attributes;
    assert.equal(a['rr.decision.rm'], decision.chosenRm);
    assert.equal(a['rr.decision.arm'], decision.chosen);
    assert.equal(a['rr.posterior.version'], decision.posteriorVersion);
    assert.equal(a['rr.seed'], decision.seed);
    const routerSpan = byId.get(route.parentSpanId)!;
    assert.equal(routerSpan.name, `process ${topicName(prefix, 'generations')}`);
    assert.deepEqual(routerSpan.attributes['rr.arms'], decision.arms, "arm names once, on the prompt's router span");
    assert.equal(routerSpan.attributes['rr.prompt.id'], decision.promptId);
    assert.deepEqual(a['rr.arm.means'], decision.means);
    assert.deepEqual(a['rr.arm.stds'], decision.stds);
    assert.deepEqual(a['rr.arm.samples'], decision.samples);

    // `reward-router trace` names the pair's trace.
    assert.equal((await tracePair(bus, codec, prefix, pairId)).traceId, route.traceId);

    // At least five stages in the one trace.
    const stages = new Set(trace.map((s) => s.attributes['rr.stage']));
    for (const stage of ['router', `scorer.${decision.chosenRm}`, 'labeler', 'trainer', 'aggregator'])
      assert.ok(stages.has(stage), `trace lacks a ${stage} span: ${[...stages].join(', ')}`);

    // The pair's transactional send (the aggregator's span of its LOSS record), whose ancestors
    // run back through every stage to the trainer's send (the root).
    const send = trace.find((s) => s.name === `send ${topicName(prefix, 'posterior-deltas')}` && s.attributes['rr.pair.id'] === pairId);
    assert.ok(send, "no transactional send span in the pair's trace");
    assert.equal(send.attributes['rr.transactional'], true);
    assert.equal(send.attributes['rr.rm'], decision.chosenRm);
    assert.equal(send.attributes['rr.loss'], loss.f.loss);
    assert.equal(send.status.code ?? 0, 0, 'the transaction committed');
    const chain: ReceivedSpan[] = [];
    for (let s: ReceivedSpan | undefined = send; s !== undefined; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s);
    // The label comes out of whichever RM's score completed the prompt: any scorer of the pool.
    assert.deepEqual(
      chain.map((s) => String(s.attributes['rr.stage']).replace(/^scorer\..*$/, 'scorer')),
      ['aggregator', 'trainer', 'trainer', 'labeler', 'labeler', 'scorer', 'scorer', 'router', 'router', 'trainer'],
    );
    // Each consumer's parent is its producer's span: the trainer's send, or the create span the
    // router, scorer and labeler give what they produce (kind PRODUCER), under their process span.
    assert.deepEqual(
      chain.map((s) => s.name.split(' ')[0]),
      ['send', 'send', 'process', 'create', 'process', 'create', 'process', 'create', 'process', 'send'],
    );
    for (const s of chain.filter((x) => x.name.startsWith('create '))) assert.equal(s.kind, 4, `${s.name} is a PRODUCER span`);
    // The broker, when the test runs against one bootstrap address.
    const brokers = brokersFromEnv();
    if (brokers.length === 1)
      for (const s of chain.filter((x) => x.attributes['messaging.system'] === 'kafka'))
        assert.equal(s.attributes['server.address'], brokers[0]!.replace(/:\d+$/, ''), `${s.name}: server.address`);
    assert.equal(chain.at(-1)!.name, `send ${topicName(prefix, 'generations')}`);
    assert.equal(chain.at(-1)!.parentSpanId, '', "the trainer's send is the root");
    assert.equal(traceparent(loss.r).spanId, chain[1]!.spanId, "the LOSS record carries the trainer's send span");
    assert.equal(send.attributes['rr.source.offset'], Number(loss.r.offset));

    // The delta record of (batch, RM): its span links to the pair's send; the store continues its trace into the snapshot.
    const delta = (await Promise.all(deltas.map(async (r) => ({ r, d: await codec.decode('posterior-deltas', r.value!) })))).find(
      (x) => x.d.batch === BATCHES - 1 && x.d.rm === decision.chosenRm,
    )!;
    assert.ok(delta.d.rows.some((row) => row.pairId === pairId));
    const deltaSpan = byId.get(traceparent(delta.r).spanId);
    assert.ok(deltaSpan, "the delta's span was exported");
    assert.ok(
      deltaSpan.links.some((l) => l.spanId === send.spanId && l.traceId === send.traceId),
      "the delta span links to the pair's send",
    );
    const store = spans.find(
      (s) => s.name.startsWith('process ') && s.attributes['rr.stage'] === 'store' && s.parentSpanId === deltaSpan.spanId,
    );
    assert.ok(store, "the store continues the delta's trace");
    const snapshots = await Promise.all(posteriors.map(async (r) => ({ r, p: await codec.decode('posteriors', r.value!) })));
    const snap = snapshots.find((x) => x.p.rm === decision.chosenRm && x.p.version === BATCHES - 1)!;
    assert.equal(traceparent(snap.r).spanId, store.spanId, "the snapshot carries the store's span");

    // Metrics (cumulative: the last point per attribute set).
    const last = new Map<string, { name: string; attributes: Record<string, unknown>; value: number }>();
    for (const p of receiver.points) last.set(`${p.name} ${JSON.stringify(p.attributes)}`, p);
    const total = (name: string, where: (attrs: Record<string, unknown>) => boolean = () => true) =>
      [...last.values()].filter((p) => p.name === name && where(p.attributes)).reduce((n, p) => n + p.value, 0);
    assert.equal(total('rr.decisions'), summary.pairs);
    for (const rm of settings.arms)
      assert.equal(
        total('rr.decisions', (x) => x['rr.rm'] === rm),
        all.filter((d) => d.chosenRm === rm).length,
        rm,
      );
    assert.equal(total('rr.reward'), losses.filter((x) => x.f.kind === 'LOSS').length);
    assert.equal(
      total('rr.dead_letters', (x) => x['rr.dead_letter.reason'] === 'UNDECODABLE'),
      1,
    );
    assert.ok(
      [...last.values()].some((p) => p.name === 'messaging.kafka.consumer.lag'),
      'consumer lag exported',
    );
    assert.ok(total('messaging.client.consumed.messages') > 0 && total('messaging.client.sent.messages') > 0);
    for (const p of last.values())
      if (p.name.startsWith('messaging.client.')) {
        assert.equal(p.attributes['messaging.system'], 'kafka', p.name);
        assert.equal(p.attributes['messaging.operation.name'], p.name.endsWith('consumed.messages') ? 'receive' : 'send', p.name);
      }
  });
});
