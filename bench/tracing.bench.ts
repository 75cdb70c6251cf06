/**
 * Loop throughput with tracing on (spans and metrics exported over OTLP/HTTP to a local receiver
 * in its own process) beside tracing off, in one process, alternating off/on per repeat so both
 * see the same machine; prints pairs/s medians and the on/off ratio (goal ≥ 0.8×).
 *
 *   npm run bench:tracing [-- --batches 20 --repeats 5 --prompts 64 --kafka]
 *
 * In-process bus by default (the loop's own costs only, where tracing weighs most); `--kafka` runs
 * the same on a real broker it starts (or KAFKA_BROKERS).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { logLevel } from 'kafkajs';
import { SingleObjectCodec } from '../src/avro/codec.ts';
import { createKafkaBus } from '../src/bus/kafka/index.ts';
import { createMemoryBus } from '../src/bus/memory/index.ts';
import type { Bus, Clock } from '../src/bus/types.ts';
import { topicName } from '../src/records/topics.ts';
import { meterBus, startTelemetry } from '../src/telemetry/index.ts';
import { runLoop } from '../streams/loop.ts';
import { buildSettings } from '../streams/settings.ts';
import { quietLog, syntheticPrior } from '../test/unit/streams-fixtures.ts';
import { startBroker } from '../deploy/kafka/kafka.mjs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { values: args } = parseArgs({ options: { batches: { type: 'string', default: '20' }, repeats: { type: 'string', default: '5' },
  prompts: { type: 'string', default: '64' }, kafka: { type: 'boolean', default: false }, protocol: { type: 'string', default: 'http/protobuf' } } });
const BATCHES = Number(args.batches);
const REPEATS = Number(args.repeats);
const wall: Clock = { now: () => Date.now() }; // a benchmark measures wall time on purpose
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let seq = 0;

async function startReceiver(): Promise<{ url: string; stats(): Promise<{ requests: Record<string, number> }>; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/otlp-receiver.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const url = line.trim();
  return { url, stats: async () => (await (await fetch(`${url}/stats`)).json()) as { requests: Record<string, number> }, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const otel = startTelemetry({ serviceName: 'reward-router-bench', endpoint: receiver.url, protocol: args.protocol as 'http/protobuf' | 'http/json' })!;
  const broker = args.kafka && !process.env.KAFKA_BROKERS ? await startBroker() : null;
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? (broker ? [broker.brokers] : []);
  const codec = new SingleObjectCodec();
  const prior = syntheticPrior(undefined, 64);
  const rows: { off: number; on: number }[] = [];
  const once1 = async (traced: boolean): Promise<number> => {
    const prefix = `bench-${process.pid}-${++seq}.`;
    const settings = buildSettings({ seed: 1, run: 'bench/tracing', prefix, partitions: 3, posteriorWaitMs: 600_000,
      sim: { scenario: 'stationary', config: { d: 64, promptsPerBatch: Number(args.prompts), batches: BATCHES } } }, prior);
    const raw: Bus = args.kafka ? createKafkaBus({ brokers, clientId: prefix, logLevel: logLevel.NOTHING,
      consumerTiming: { maxWaitTimeInMs: 50, heartbeatInterval: 500, sessionTimeout: 6000, rebalanceTimeout: 10000 } }) : createMemoryBus({ clock: wall });
    const bus = traced ? meterBus(raw, otel.telemetry, { app: 'bench', codec, dlqTopic: topicName(prefix, 'dlq') }) : raw;
    try {
      const summary = await runLoop({ bus, settings, batches: BATCHES, clock: wall, log: quietLog, codec, ...(traced ? { telemetry: otel.telemetry } : {}) });
      return summary.pairs / (summary.wallMs / 1000);
    } finally {
      await bus.close();
    }
  };
  try {
    await once1(false); // warm-up (JIT, caches), not counted
    for (let r = 0; r < REPEATS; r++) {
      // Alternate which goes first, so a trend in the machine's load favours neither.
      const row = { off: 0, on: 0 };
      for (const traced of r % 2 === 0 ? [false, true] : [true, false]) row[traced ? 'on' : 'off'] = await once1(traced);
      rows.push(row);
      process.stderr.write(`repeat ${r + 1}: off ${row.off.toFixed(0)} pairs/s, on ${row.on.toFixed(0)} pairs/s, on/off ${(row.on / row.off).toFixed(2)}\n`);
    }
    await otel.shutdown();
    const requests = Object.values((await receiver.stats()).requests).reduce((a, b) => a + b, 0);
    const off = median(rows.map((x) => x.off));
    const on = median(rows.map((x) => x.on));
    const ratios = rows.map((x) => x.on / x.off);
    const load = (await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ');
    process.stdout.write([
      `tracing bench (${args.kafka ? 'real broker' : 'in-process bus'}, ${BATCHES} batches × ${args.prompts} prompts, ${REPEATS} repeats, OTLP ${otel.protocol}; load ${load})`,
      `  tracing off: ${off.toFixed(0)} pairs/s (median)`,
      `  tracing on : ${on.toFixed(0)} pairs/s (median); spans started ${otel.telemetry.started}, exported ${otel.exported.spans}, failed ${otel.exported.failed}, dropped ${otel.telemetry.started - otel.exported.spans - otel.exported.failed}; ${requests} OTLP requests received`,
      `  on/off: ${(on / off).toFixed(2)}x of medians; per repeat ${ratios.map((x) => x.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)}x); goal >= 0.8x`,
    ].join('\n') + '\n');
  } finally {
    receiver.stop();
    await broker?.stop();
  }
}

await main();
