/**
 * Pairs per second through router → scorer → labeler on a real Kafka broker,
 * beside a raw kafkajs consume → produce pass-through of the same generation
 * records on the same broker in the same run; and the router stage's added
 * latency (p50/p99) beside the pass-through's, one record at a time.
 *
 *   npm run bench:pipeline [-- --batches 10 --repeats 3]   (KAFKA_BROKERS=host:port to use a running broker)
 *
 * The router routes with the prior here (no aggregator or store is running; the
 * lag is set beyond the run), so this measures the data path, not the posterior wait.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { SingleObjectCodec } from '../src/avro/codec.ts';
import { createKafkaBus } from '../src/bus/kafka/index.ts';
import type { Clock, OutRecord } from '../src/bus/types.ts';
import { topicName } from '../src/records/topics.ts';
import type { AppContext, AppHandle } from '../streams/context.ts';
import { startLabelerApp } from '../streams/labeler.ts';
import { startRouterApp } from '../streams/router.ts';
import { simStream, startScorerApp } from '../streams/scorer.ts';
import { createLoopTopics } from '../streams/topics.ts';
import { generationRecords } from '../streams/trainer.ts';
import { quietLog, syntheticPrior } from '../test/unit/streams-fixtures.ts';
import { buildSettings } from '../streams/settings.ts';
import { startBroker } from '../deploy/kafka/kafka.mjs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { values: args } = parseArgs({ options: { batches: { type: 'string', default: '10' }, repeats: { type: 'string', default: '3' }, latency: { type: 'string', default: '200' } } });
const BATCHES = Number(args.batches);
const REPEATS = Number(args.repeats);
const LATENCY_RECORDS = Number(args.latency);
const wall: Clock = { now: () => Date.now() }; // a benchmark measures wall time on purpose
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
let seq = 0;
const uniq = (p: string) => `${p}-${process.pid}-${++seq}`;

function settingsFor(prefix: string) {
  // lag beyond the run: every batch is routed with the prior at once (no aggregator or store runs here).
  return buildSettings({ seed: 1, run: 'bench', prefix, partitions: 3, posteriorWaitMs: 0, lag: 1_000_000, maxInFlight: 2000,
    sim: { scenario: 'stationary', config: { d: 64, batches: BATCHES } } }, syntheticPrior(undefined, 64));
}

/** A fresh topic namespace: settings, a kafkajs bus, the app context, and a pass-through topic. */
async function namespace(brokers: string[], codec: SingleObjectCodec, name: string) {
  const prefix = `${uniq(name)}.`;
  const settings = settingsFor(prefix);
  const bus = createKafkaBus({ brokers, clientId: uniq(name), logLevel: logLevel.NOTHING, consumerTiming: { maxWaitTimeInMs: 50, heartbeatInterval: 500, sessionTimeout: 6000, rebalanceTimeout: 10000 } });
  const ctx: AppContext = { bus, codec, clock: wall, log: quietLog, settings };
  await createLoopTopics(bus, settings);
  const passTopic = `${prefix}passthrough`;
  await bus.createTopics([{ name: passTopic, partitions: settings.partitions }]);
  return { prefix, settings, bus, ctx, passTopic };
}

/** Counts records arriving on `topic` until `n`; resolves with the wall time of the last one. */
async function countUntil(kafka: Kafka, topic: string, n: number): Promise<{ consumer: Consumer; done: Promise<number> }> {
  const consumer = kafka.consumer({ groupId: uniq('count'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let resolve!: (t: number) => void;
  const done = new Promise<number>((r) => { resolve = r; });
  await consumer.run({ eachMessage: async () => { if (++seen === n) resolve(Date.now()); } });
  return { consumer, done };
}

async function buildRecords(ctx: Pick<AppContext, 'codec' | 'clock' | 'settings'>): Promise<{ records: OutRecord[]; pairsPerRecord: number[] }> {
  const stream = simStream(ctx.settings);
  const records: OutRecord[] = [];
  const pairsPerRecord: number[] = [];
  for (let t = 0; t < BATCHES; t++) {
    const b = stream.generateBatch(t);
    for (const p of b.prompts) pairsPerRecord.push(p.pairs.length);
    records.push(...(await generationRecords(ctx, b)));
  }
  return { records, pairsPerRecord };
}

/** Sends records in chunks (the same way for both sides of the comparison). */
async function sendAll(producer: Producer, topic: string, records: readonly OutRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 64) {
    await producer.send({ topic, messages: records.slice(i, i + 64).map((r) => ({ key: r.key, value: r.value })) });
  }
}

/** Raw kafkajs: consume every record of `from` and produce its bytes unchanged to `to`. */
async function passThrough(kafka: Kafka, from: string, to: string, producer: Producer): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: uniq('pass'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: from, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => {
    await producer.send({ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
  } });
  return consumer;
}

async function main(): Promise<void> {
  const broker = process.env.KAFKA_BROKERS ? null : await startBroker();
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : [broker!.brokers];
  const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const codec = new SingleObjectCodec();
  const rows: { pass: number; pipe: number }[] = [];
  try {
    for (let r = 0; r < REPEATS; r++) {
      const { prefix, settings, bus, ctx, passTopic } = await namespace(brokers, codec, 'bench');
      const { records, pairsPerRecord } = await buildRecords(ctx);
      const gensTopic = topicName(prefix, 'generations');
      const inTopic = `${prefix}pass-in`;
      await bus.createTopics([{ name: inTopic, partitions: settings.partitions }]);
      // Both sides start their consumers, pass one warm-up record end to end (group joins, metadata,
      // JIT), then get the remaining records at once; the clock runs from that send to the last output.
      const [warm, ...rest] = records;
      const pairs = pairsPerRecord.slice(1).reduce((a, b) => a + b, 0);

      // (a) raw pass-through of the same records
      const passOut = await countUntil(kafka, passTopic, records.length);
      const passWarm = await countUntil(kafka, passTopic, 1);
      const pass = await passThrough(kafka, inTopic, passTopic, producer);
      await sendAll(producer, inTopic, [warm!]);
      await passWarm.done;
      await passWarm.consumer.disconnect();
      const t0 = Date.now();
      await sendAll(producer, inTopic, rest);
      const t1 = await passOut.done;
      await pass.disconnect(); await passOut.consumer.disconnect();

      // (b) router → scorers → labeler, until every prompt has its Label
      const labels = await countUntil(kafka, topicName(prefix, 'labels'), records.length);
      const decisionsSeen = process.env.BENCH_STAGES ? await countUntil(kafka, topicName(prefix, 'decisions'), pairsPerRecord.reduce((a, b) => a + b, 0)) : null;
      const labelsWarm = await countUntil(kafka, topicName(prefix, 'labels'), 1);
      const apps: AppHandle[] = [];
      for (const rm of settings.arms) apps.push(await startScorerApp(ctx, { rm }));
      apps.push(await startLabelerApp(ctx));
      apps.push(await startRouterApp(ctx));
      await sendAll(producer, gensTopic, [warm!]);
      await labelsWarm.done;
      await labelsWarm.consumer.disconnect();
      const s0 = Date.now();
      await sendAll(producer, gensTopic, rest);
      const s1 = await labels.done;
      if (decisionsSeen) { process.stderr.write(`  router done after ${(await decisionsSeen.done) - s0} ms, labeler after ${s1 - s0} ms\n`); await decisionsSeen.consumer.disconnect(); }
      for (const a of apps) await a.close();
      await labels.consumer.disconnect();
      await bus.close();
      rows.push({ pass: pairs / ((t1 - t0) / 1000), pipe: pairs / ((s1 - s0) / 1000) });
      process.stderr.write(`repeat ${r + 1}: pass-through ${rows.at(-1)!.pass.toFixed(0)} pairs/s, pipeline ${rows.at(-1)!.pipe.toFixed(0)} pairs/s\n`);
    }
    const passRate = median(rows.map((x) => x.pass));
    const pipeRate = median(rows.map((x) => x.pipe));

    // Latency: one generation at a time; added latency = decision CreateTime − generation CreateTime,
    // beside the pass-through's out CreateTime − in CreateTime for the same records.
    const { prefix, settings, bus, ctx, passTopic } = await namespace(brokers, codec, 'lat');
    const gens = (await generationRecords(ctx, simStream(settings).generateBatch(0))).slice(0, 1);
    const sentAt = new Map<string, number>();
    const routerLat: number[] = [];
    const passLat: number[] = [];
    const firstDecision = new Set<string>();
    const decisions = kafka.consumer({ groupId: uniq('dec'), maxWaitTimeInMs: 20 });
    await decisions.connect();
    await decisions.subscribe({ topic: topicName(prefix, 'decisions'), fromBeginning: true });
    await decisions.run({ eachMessage: async ({ message }) => {
      const d = codec.decodeSync('decisions', message.value!);
      if (firstDecision.has(d.promptId)) return;
      firstDecision.add(d.promptId);
      routerLat.push(Number(message.timestamp) - sentAt.get(d.promptId)!);
    } });
    const passOut = kafka.consumer({ groupId: uniq('passout'), maxWaitTimeInMs: 20 });
    await passOut.connect();
    await passOut.subscribe({ topic: passTopic, fromBeginning: true });
    await passOut.run({ eachMessage: async ({ message }) => { passLat.push(Number(message.timestamp) - sentAt.get(message.key!.toString())!); } });
    await bus.createTopics([{ name: `${prefix}lat-in`, partitions: 1 }]);
    const router = await startRouterApp(ctx);
    const pass = await passThrough(kafka, `${prefix}lat-in`, passTopic, producer);
    const sendOne = async (promptId: string) => {
      const g = codec.decodeSync('generations', gens[0]!.value!);
      const value = codec.encodeSync('generations', { ...g, promptId, batch: 0, pairs: g.pairs.map((p) => ({ ...p, pairId: `${promptId}/${p.pairId}` })) });
      const now = Date.now();
      sentAt.set(promptId, now);
      await producer.send({ topic: topicName(prefix, 'generations'), messages: [{ key: promptId, value, timestamp: String(now) }] });
      await producer.send({ topic: `${prefix}lat-in`, messages: [{ key: promptId, value, timestamp: String(now) }] });
    };
    // Warm-up: one record through both paths (group joins happen here), then the samples are reset.
    await sendOne('lat-warm');
    const warmUntil = Date.now() + 60_000;
    while ((routerLat.length < 1 || passLat.length < 1) && Date.now() < warmUntil) await new Promise((r) => setTimeout(r, 50));
    routerLat.length = 0;
    passLat.length = 0;
    for (let i = 0; i < LATENCY_RECORDS; i++) {
      await sendOne(`lat-${i}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const until = Date.now() + 30_000;
    while ((routerLat.length < LATENCY_RECORDS || passLat.length < LATENCY_RECORDS) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await router.close(); await pass.disconnect(); await decisions.disconnect(); await passOut.disconnect(); await bus.close();

    const out = {
      batches: BATCHES, repeats: REPEATS, pairsPerBatch: 480,
      passThroughPairsPerSec: passRate, pipelinePairsPerSec: pipeRate, ratio: pipeRate / passRate,
      latencyMs: { router: { p50: pct(routerLat, 0.5), p99: pct(routerLat, 0.99), n: routerLat.length }, passThrough: { p50: pct(passLat, 0.5), p99: pct(passLat, 0.99), n: passLat.length } },
    };
    process.stdout.write(`pairs/s (median of ${REPEATS}), ${BATCHES} batches × 480 pairs, real broker:\n` +
      `  raw kafkajs pass-through: ${passRate.toFixed(0)}\n  router → scorer ×${settings.arms.length} → labeler: ${pipeRate.toFixed(0)}\n` +
      `  ratio: ${(pipeRate / passRate).toFixed(2)}× (goal ≥ 0.5×: ${pipeRate / passRate >= 0.5 ? 'PASS' : 'MISS'})\n` +
      `added latency per record, one at a time (n = ${routerLat.length}):\n` +
      `  router stage: p50 ${out.latencyMs.router.p50} ms, p99 ${out.latencyMs.router.p99} ms\n` +
      `  pass-through: p50 ${out.latencyMs.passThrough.p50} ms, p99 ${out.latencyMs.passThrough.p99} ms\n` +
      `${JSON.stringify(out)}\n`);
  } finally {
    await producer.disconnect();
    if (broker) await broker.stop();
  }
}

await main();
