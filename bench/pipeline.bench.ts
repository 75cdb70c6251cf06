/**
 * Pairs per second through router → scorer → labeler on a real Kafka broker, beside raw kafkajs
 * consume → produce pass-throughs of the same generation records on the same broker in the same
 * run: one hop (the figure: pipeline ÷ one-hop pass-through) and a chain of three hops
 * (the pipeline's own depth: router, scorers, labeler are three consume → produce hops in a row);
 * and the router stage's added latency (p50/p99) beside the pass-through's, one record at a time.
 *
 *   npm run bench:pipeline [-- --batches 10 --repeats 3]   (KAFKA_BROKERS=host:port to use a running broker)
 *   npm run bench:pipeline -- --batches 2 --repeats 1 --latency 5 [--processes]   tiny: the smoke test's size
 *
 * A count that stops short (no record on the counted topic for --stall-s, 120 s) or a latency run
 * that misses records is an error naming what was seen, never a silent wait.
 *
 * Every figure is a median over the repeats with its range; ratios are taken per repeat (both sides
 * of a ratio ran in the same repeat, seconds apart) and their median is printed. The load average
 * is printed because the machine is shared, and the CPU time each side cost (this process, and the
 * broker's when it runs here) because the pipeline is CPU-bound where the pass-through is not.
 * BENCH_STAGES=1 also prints when the router finished; BENCH_PROFILE=dir writes a V8 CPU profile of
 * each repeat's pipeline window there (the tool behind docs/benchmarks.md's breakdown).
 *
 * The router routes with the prior here (no aggregator or store is running; the
 * lag is set beyond the run), so this measures the data path, not the posterior wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { SingleObjectCodec } from '../src/avro/codec.ts';
import type { Clock, OutRecord } from '../src/bus/types.ts';
import { topicName } from '../src/records/topics.ts';
import type { AppContext, AppHandle } from '../streams/runtime/context.ts';
import { startLabelerApp } from '../streams/labeler/labeler.ts';
import { startRouterApp } from '../streams/router/router.ts';
import { startScorerApp } from '../streams/scorer/scorer.ts';
import { simStream } from '../streams/trainer/simulated.ts';
import { createLoopTopics } from '../streams/runtime/topics.ts';
import { generationRecords } from '../streams/trainer/simulated.ts';
import { quietLog } from '../test/unit/streams-fixtures.ts';
import { benchBus, FETCH_WAIT_MS, settingsFor } from './pipeline-setup.ts';
import { startBroker } from '../deploy/kafka/kafka.mjs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '10' },
    repeats: { type: 'string', default: '3' },
    latency: { type: 'string', default: '200' },
    processes: { type: 'boolean', default: false },
    'stall-s': { type: 'string', default: '120' },
  },
});
const BATCHES = Number(args.batches);
const REPEATS = Number(args.repeats);
const LATENCY_RECORDS = Number(args.latency);
/** Also time the pipeline with one process per app (bench/pipeline-app.ts), as `reward-router run <app>` deploys it. */
const PROCESSES = args.processes;
const STALL_MS = 1000 * Number(args['stall-s']);
const wall: Clock = { now: () => Date.now() }; // a benchmark measures wall time on purpose
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
let seq = 0;
const uniq = (p: string) => `${p}-${process.pid}-${++seq}`;

/** A fresh topic namespace: settings, a kafkajs bus, the app context, and a pass-through topic. */
async function namespace(brokers: string[], codec: SingleObjectCodec, name: string) {
  const prefix = `${uniq(name)}.`;
  const settings = settingsFor(prefix, BATCHES);
  const bus = benchBus(brokers, uniq(name));
  const ctx: AppContext = { bus, codec, clock: wall, log: quietLog, settings };
  await createLoopTopics(bus, settings);
  const passTopic = `${prefix}passthrough`;
  await bus.createTopics([{ name: passTopic, partitions: settings.partitions }]);
  return { prefix, settings, bus, ctx, passTopic };
}

/**
 * subscribe() right after a topic was created can meet a metadata cache that has not caught up
 * (UNKNOWN_TOPIC_OR_PARTITION, retriable); kafkajs does not retry it there, so this does.
 */
async function subscribe(consumer: Consumer, topic: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await consumer.subscribe({ topic, fromBeginning: true });
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable !== true || attempt >= 8) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** Math.min(attempt, 4)));
    }
  }
}

/** CPU seconds a process has used (utime + stime from /proc; USER_HZ = 100), or null off Linux. */
function procCpu(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** CPU seconds used so far: this process (plus `children`, the app processes of `--processes`), and the broker's. */
function cpuNow(brokerPid: number | undefined, children: readonly number[] = []): { self: number; broker: number | null } {
  const u = process.cpuUsage();
  const kids = children.reduce((n, pid) => n + (procCpu(pid) ?? 0), 0);
  return { self: (u.user + u.system) / 1e6 + kids, broker: brokerPid === undefined ? null : procCpu(brokerPid) };
}

/**
 * Counts records arriving on `topic` until `n`; resolves with the wall time of the last one, or
 * rejects when none has arrived for STALL_MS (the count so far in the message).
 */
async function countUntil(kafka: Kafka, topic: string, n: number): Promise<{ consumer: Consumer; done: Promise<number> }> {
  const consumer = kafka.consumer({ groupId: uniq('count'), maxWaitTimeInMs: FETCH_WAIT_MS });
  await consumer.connect();
  await subscribe(consumer, topic);
  let seen = 0;
  let lastAt = Date.now();
  let resolve!: (t: number) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const watch = setInterval(() => {
    if (Date.now() - lastAt > STALL_MS)
      reject(new Error(`bench: ${seen} of ${n} records on ${topic}, none for ${STALL_MS / 1000} s (--stall-s)`));
  }, 1000).unref();
  void done.then(
    () => clearInterval(watch),
    () => clearInterval(watch),
  );
  await consumer.run({
    eachMessage: async () => {
      lastAt = Date.now();
      if (++seen === n) resolve(lastAt);
    },
  });
  return { consumer, done };
}

async function buildRecords(
  ctx: Pick<AppContext, 'codec' | 'clock' | 'settings'>,
): Promise<{ records: OutRecord[]; pairsPerRecord: number[] }> {
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
  const consumer = kafka.consumer({ groupId: uniq('pass'), maxWaitTimeInMs: FETCH_WAIT_MS });
  await consumer.connect();
  await subscribe(consumer, from);
  await consumer.run({
    eachBatch: async ({ batch }) => {
      await producer.send({ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
    },
  });
  return consumer;
}

/**
 * A chain of `hops` raw pass-throughs, `in` → … → `out`, each hop with its own consumer and producer
 * (as each stage of the pipeline has). Times the records after a warm-up record from the send to the
 * last record out; returns the milliseconds and the CPU seconds spent meanwhile.
 */
async function timeChain(
  kafka: Kafka,
  bus: { createTopics(t: { name: string; partitions: number }[]): Promise<void> },
  prefix: string,
  partitions: number,
  hops: number,
  feed: Producer,
  records: readonly OutRecord[],
  brokerPid: number | undefined,
): Promise<{ ms: number; cpu: { self: number; broker: number | null } }> {
  const topics = Array.from({ length: hops + 1 }, (_, i) => `${prefix}chain${hops}-${i}`);
  await bus.createTopics(topics.map((name) => ({ name, partitions })));
  const out = await countUntil(kafka, topics[hops]!, records.length);
  const warmOut = await countUntil(kafka, topics[hops]!, 1);
  const links: { consumer: Consumer; producer: Producer }[] = [];
  for (let h = 0; h < hops; h++) {
    const producer = kafka.producer();
    await producer.connect();
    links.push({ producer, consumer: await passThrough(kafka, topics[h]!, topics[h + 1]!, producer) });
  }
  const [warm, ...rest] = records;
  await sendAll(feed, topics[0]!, [warm!]);
  await warmOut.done;
  await warmOut.consumer.disconnect();
  const c0 = cpuNow(brokerPid);
  const t0 = Date.now();
  await sendAll(feed, topics[0]!, rest);
  const t1 = await out.done;
  const c1 = cpuNow(brokerPid);
  for (const l of links) {
    await l.consumer.disconnect();
    await l.producer.disconnect();
  }
  await out.consumer.disconnect();
  return { ms: t1 - t0, cpu: cpuDelta(c0, c1) };
}

const cpuDelta = (a: ReturnType<typeof cpuNow>, b: ReturnType<typeof cpuNow>) => ({
  self: b.self - a.self,
  broker: a.broker === null || b.broker === null ? null : b.broker - a.broker,
});

/** Starts one app in a child process (bench/pipeline-app.ts); resolves once it has joined its group. */
async function startChild(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./pipeline-app.ts', import.meta.url)), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`pipeline-app ${args.join(' ')} exited (${code}) before it was ready`)));
  });
  return child;
}

/**
 * The pipeline with one process per app (router, each scorer, labeler) in a namespace of its own:
 * the same records, warm-up and clock as the in-process run; CPU is the children's and this process's.
 */
async function timeProcesses(
  kafka: Kafka,
  brokers: string[],
  codec: SingleObjectCodec,
  feed: Producer,
  records: readonly OutRecord[],
  brokerPid: number | undefined,
): Promise<{ ms: number; cpu: { self: number; broker: number | null } }> {
  const { prefix, settings, bus } = await namespace(brokers, codec, 'procs');
  const labels = await countUntil(kafka, topicName(prefix, 'labels'), records.length);
  const labelsWarm = await countUntil(kafka, topicName(prefix, 'labels'), 1);
  const apps = [...settings.arms.map((rm) => ['scorer', rm]), ['labeler'], ['router']];
  const children = await Promise.all(
    apps.map(([app, rm]) => startChild([app!, prefix, brokers.join(','), String(BATCHES), ...(rm ? [rm] : [])])),
  );
  try {
    const [warm, ...rest] = records;
    await sendAll(feed, topicName(prefix, 'generations'), [warm!]);
    await labelsWarm.done;
    await labelsWarm.consumer.disconnect();
    const pids = children.map((c) => c.pid!);
    const c0 = cpuNow(brokerPid, pids);
    const t0 = Date.now();
    await sendAll(feed, topicName(prefix, 'generations'), rest);
    const t1 = await labels.done;
    const c1 = cpuNow(brokerPid, pids);
    return { ms: t1 - t0, cpu: cpuDelta(c0, c1) };
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise((r) => {
            c.on('exit', r);
            c.stdin!.end();
          }),
      ),
    );
    await labels.consumer.disconnect();
    await bus.close();
  }
}

interface Row {
  /** pairs/s */
  pass1: number;
  pass3: number;
  pipe: number;
  /** pairs/s with one process per app (`--processes`), else null. */
  procs: number | null;
  /** CPU seconds per 1,000 pairs: this process, and the broker (null when not measured). */
  cpu: Record<'pass1' | 'pass3' | 'pipe', { self: number; broker: number | null }> & { procs?: { self: number; broker: number | null } };
}

async function main(): Promise<void> {
  const loadBefore = load();
  const broker = process.env.KAFKA_BROKERS ? null : await startBroker();
  const brokerPid = broker?.pid;
  const brokers = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',') : [broker!.brokers];
  const kafka = new Kafka({ brokers, clientId: 'bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const codec = new SingleObjectCodec();
  const profileDir = process.env.BENCH_PROFILE;
  const inspector = profileDir ? new Session() : null;
  if (inspector) {
    mkdirSync(profileDir!, { recursive: true });
    inspector.connect();
    await inspector.post('Profiler.enable');
  }
  const rows: Row[] = [];
  let pairsPerBatch = 0; // from the simulator's batches (480 with its defaults)
  try {
    for (let r = 0; r < REPEATS; r++) {
      const { prefix, settings, bus, ctx } = await namespace(brokers, codec, 'bench');
      const { records, pairsPerRecord } = await buildRecords(ctx);
      const gensTopic = topicName(prefix, 'generations');
      // Every side passes one warm-up record end to end first (group joins, metadata, JIT), then
      // gets the remaining records at once; the clock runs from that send to the last output.
      const [warm, ...rest] = records;
      const pairs = pairsPerRecord.slice(1).reduce((a, b) => a + b, 0);
      pairsPerBatch = pairsPerRecord.reduce((a, b) => a + b, 0) / BATCHES;
      const per1k = (c: { self: number; broker: number | null }) => ({
        self: (c.self / pairs) * 1000,
        broker: c.broker === null ? null : (c.broker / pairs) * 1000,
      });

      // (a) raw pass-throughs of the same records: one hop, then a chain of three
      const one = await timeChain(kafka, bus, prefix, settings.partitions, 1, producer, records, brokerPid);
      const three = await timeChain(kafka, bus, prefix, settings.partitions, 3, producer, records, brokerPid);

      // (b) router → scorers → labeler, until every prompt has its Label
      const labels = await countUntil(kafka, topicName(prefix, 'labels'), records.length);
      const decisionsSeen = process.env.BENCH_STAGES
        ? await countUntil(kafka, topicName(prefix, 'decisions'), records.length) /* one Decision per prompt (v2) */
        : null;
      const labelsWarm = await countUntil(kafka, topicName(prefix, 'labels'), 1);
      const apps: AppHandle[] = [];
      for (const rm of settings.arms) apps.push(await startScorerApp(ctx, { rm }));
      apps.push(await startLabelerApp(ctx));
      apps.push(await startRouterApp(ctx));
      await sendAll(producer, gensTopic, [warm!]);
      await labelsWarm.done;
      await labelsWarm.consumer.disconnect();
      if (inspector) await inspector.post('Profiler.start');
      const c0 = cpuNow(brokerPid);
      const s0 = Date.now();
      await sendAll(producer, gensTopic, rest);
      const s1 = await labels.done;
      const c1 = cpuNow(brokerPid);
      if (inspector) {
        const { profile } = await inspector.post('Profiler.stop');
        writeFileSync(join(profileDir!, `pipeline-${r + 1}.cpuprofile`), JSON.stringify(profile));
      }
      if (decisionsSeen) {
        process.stderr.write(`  router done after ${(await decisionsSeen.done) - s0} ms, labeler after ${s1 - s0} ms\n`);
        await decisionsSeen.consumer.disconnect();
      }
      for (const a of apps) await a.close();
      await labels.consumer.disconnect();
      await bus.close();
      const procs = PROCESSES ? await timeProcesses(kafka, brokers, codec, producer, records, brokerPid) : null;
      const row: Row = {
        pass1: pairs / (one.ms / 1000),
        pass3: pairs / (three.ms / 1000),
        pipe: pairs / ((s1 - s0) / 1000),
        procs: procs ? pairs / (procs.ms / 1000) : null,
        cpu: {
          pass1: per1k(one.cpu),
          pass3: per1k(three.cpu),
          pipe: per1k(cpuDelta(c0, c1)),
          ...(procs ? { procs: per1k(procs.cpu) } : {}),
        },
      };
      rows.push(row);
      process.stderr.write(
        `repeat ${r + 1}: pass-through ${row.pass1.toFixed(0)}, 3-hop pass-through ${row.pass3.toFixed(0)}, pipeline ${row.pipe.toFixed(0)} pairs/s` +
          ` (ratios ${(row.pipe / row.pass1).toFixed(2)}×, ${(row.pipe / row.pass3).toFixed(2)}×` +
          (row.procs === null ? '' : `; one process per app ${row.procs.toFixed(0)} pairs/s, ${(row.procs / row.pass1).toFixed(2)}×`) +
          `; load ${load()})\n`,
      );
    }
    const passRate = median(rows.map((x) => x.pass1));
    const pass3Rate = median(rows.map((x) => x.pass3));
    const pipeRate = median(rows.map((x) => x.pipe));
    const ratios1 = rows.map((x) => x.pipe / x.pass1);
    const ratios3 = rows.map((x) => x.pipe / x.pass3);

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
    await subscribe(decisions, topicName(prefix, 'decisions'));
    await decisions.run({
      eachMessage: async ({ message }) => {
        const d = codec.decodeSync('decisions', message.value!);
        if (firstDecision.has(d.promptId)) return;
        firstDecision.add(d.promptId);
        routerLat.push(Number(message.timestamp) - sentAt.get(d.promptId)!);
      },
    });
    const passOut = kafka.consumer({ groupId: uniq('passout'), maxWaitTimeInMs: 20 });
    await passOut.connect();
    await subscribe(passOut, passTopic);
    await passOut.run({
      eachMessage: async ({ message }) => {
        passLat.push(Number(message.timestamp) - sentAt.get(message.key!.toString())!);
      },
    });
    await bus.createTopics([{ name: `${prefix}lat-in`, partitions: 1 }]);
    const router = await startRouterApp(ctx);
    const pass = await passThrough(kafka, `${prefix}lat-in`, passTopic, producer);
    const sendOne = async (promptId: string) => {
      const g = codec.decodeSync('generations', gens[0]!.value!);
      const value = codec.encodeSync('generations', {
        ...g,
        promptId,
        batch: 0,
        pairs: g.pairs.map((p) => ({ ...p, pairId: `${promptId}/${p.pairId}` })),
      });
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
    while ((routerLat.length < LATENCY_RECORDS || passLat.length < LATENCY_RECORDS) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    if (routerLat.length < LATENCY_RECORDS || passLat.length < LATENCY_RECORDS)
      throw new Error(
        `bench: latency: ${routerLat.length} decisions and ${passLat.length} pass-throughs of ${LATENCY_RECORDS} records within 30 s`,
      );
    await router.close();
    await pass.disconnect();
    await decisions.disconnect();
    await passOut.disconnect();
    await bus.close();

    const cpuMed = (k: keyof Row['cpu'], w: 'self' | 'broker') => {
      const xs = rows.map((x) => x.cpu[k]?.[w]).filter((x): x is number => x !== null && x !== undefined);
      return xs.length === 0 ? null : median(xs);
    };
    const cpuLine = (k: keyof Row['cpu']) =>
      `${cpuMed(k, 'self')!.toFixed(3)} s here` + (cpuMed(k, 'broker') === null ? '' : ` + ${cpuMed(k, 'broker')!.toFixed(3)} s broker`);
    const out = {
      batches: BATCHES,
      repeats: REPEATS,
      pairsPerBatch,
      loadAverage: { before: loadBefore, after: load() },
      passThroughPairsPerSec: passRate,
      passThrough3HopPairsPerSec: pass3Rate,
      pipelinePairsPerSec: pipeRate,
      ratio: median(ratios1),
      ratio3Hop: median(ratios3),
      rows,
      latencyMs: {
        router: { p50: pct(routerLat, 0.5), p99: pct(routerLat, 0.99), n: routerLat.length },
        passThrough: { p50: pct(passLat, 0.5), p99: pct(passLat, 0.99), n: passLat.length },
      },
    };
    const goal = out.ratio >= 0.5 ? 'PASS' : 'MISS';
    process.stdout.write(
      `pairs/s, median [range] of ${REPEATS} repeats, ${BATCHES} batches × ${pairsPerBatch} pairs, real broker (load average ${loadBefore} before, ${out.loadAverage.after} after):\n` +
        `  raw kafkajs pass-through, 1 hop:  ${passRate.toFixed(0)} [${range(rows.map((x) => x.pass1))}]   CPU per 1,000 pairs: ${cpuLine('pass1')}\n` +
        `  raw kafkajs pass-through, 3 hops: ${pass3Rate.toFixed(0)} [${range(rows.map((x) => x.pass3))}]   CPU per 1,000 pairs: ${cpuLine('pass3')}\n` +
        `  router → scorer ×${settings.arms.length} → labeler: ${pipeRate.toFixed(0)} [${range(rows.map((x) => x.pipe))}]   CPU per 1,000 pairs: ${cpuLine('pipe')}\n` +
        (PROCESSES
          ? `  the same, one process per app:  ${median(rows.map((x) => x.procs!)).toFixed(0)} [${range(rows.map((x) => x.procs!))}]   CPU per 1,000 pairs: ${cpuLine('procs')} (all app processes)\n` +
            `  one process per app ÷ 1-hop pass-through: ${median(rows.map((x) => x.procs! / x.pass1)).toFixed(2)}× [${range(
              rows.map((x) => x.procs! / x.pass1),
              2,
            )}]\n`
          : '') +
        `  ratio to the 1-hop pass-through (the issue's figure): ${out.ratio.toFixed(2)}× [${range(ratios1, 2)}] (goal ≥ 0.5×: ${goal})\n` +
        `  ratio to the 3-hop pass-through (same depth):        ${out.ratio3Hop.toFixed(2)}× [${range(ratios3, 2)}]\n` +
        `added latency per record, one at a time (n = ${routerLat.length}):\n` +
        `  router stage: p50 ${out.latencyMs.router.p50} ms, p99 ${out.latencyMs.router.p99} ms\n` +
        `  pass-through: p50 ${out.latencyMs.passThrough.p50} ms, p99 ${out.latencyMs.passThrough.p99} ms\n` +
        `${JSON.stringify(out)}\n`,
    );
  } finally {
    await producer.disconnect();
    if (broker) await broker.stop();
  }
}

await main();
