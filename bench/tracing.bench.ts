/**
 * Loop throughput with tracing on (spans and metrics exported over OTLP/HTTP to a local receiver
 * in its own process) beside tracing off, in one process, rotating the arms' order per repeat so
 * all see the same machine; prints pairs/s medians and the on/off ratios (goal ≥ 0.8×), with every
 * trace sampled and with a share of them (`--sample`, parent-based: a prompt's trace is whole or
 * absent).
 *
 *   npm run bench:tracing [-- --batches 20 --repeats 5 --prompts 64 --sample 0.1 --kafka]
 *
 * In-process bus by default (the loop's own costs only, where tracing weighs most); `--kafka` runs
 * the same on a real broker it starts (or KAFKA_BROKERS).
 *
 *   npm run bench:tracing -- --batches 2 --repeats 1 --prompts 4 --sample 0.5   tiny: the smoke test's size (a few s)
 *
 * A traced arm that starts no span, or a run that exports none, is an error: the apps publish on
 * diagnostics channels, and a channel nobody hears would make "on" the same as "off".
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { logLevel } from 'kafkajs';
import { tracing } from '@opentelemetry/sdk-node';
import { SingleObjectCodec } from '../src/avro/codec.ts';
import { createKafkaBus } from '../src/bus/kafka/index.ts';
import { createMemoryBus } from '../src/bus/memory/index.ts';
import type { Bus, Clock } from '../src/bus/types.ts';
import { topicName } from '../src/records/topics.ts';
import { meterBus, startTelemetry } from '../src/telemetry/index.ts';
import { runLoop } from '../streams/loop/loop.ts';
import { buildSettings } from '../streams/runtime/settings.ts';
import { quietLog, syntheticPrior } from '../test/unit/streams-fixtures.ts';
import { startBroker } from '../deploy/kafka/kafka.mjs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '5' },
    prompts: { type: 'string', default: '64' },
    kafka: { type: 'boolean', default: false },
    protocol: { type: 'string', default: 'http/protobuf' },
    sample: { type: 'string', default: '0.1' },
  },
});
const BATCHES = Number(args.batches);
const REPEATS = Number(args.repeats);
const wall: Clock = { now: () => Date.now() }; // a benchmark measures wall time on purpose
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
let seq = 0;

async function startReceiver(): Promise<{ url: string; stats(): Promise<{ requests: Record<string, number> }>; stop(): void }> {
  const script = fileURLToPath(new URL('./otlp-receiver.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`bench: the OTLP receiver exited (${String(signal ?? code)}) before it printed its URL`);
  });
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited])) as [string];
  exited.catch(() => {}); // it exits when stopped, later
  const url = line.trim();
  return {
    url,
    stats: async () => (await (await fetch(`${url}/stats`)).json()) as { requests: Record<string, number> },
    stop: () => child.kill('SIGTERM'),
  };
}

/** Parent-based sampling whose root ratio the bench switches between arms (every trace, or a share of them). */
class SwitchableSampler implements tracing.Sampler {
  inner: tracing.Sampler = new tracing.ParentBasedSampler({ root: new tracing.AlwaysOnSampler() });
  set ratio(r: number) {
    this.inner = new tracing.ParentBasedSampler({ root: r >= 1 ? new tracing.AlwaysOnSampler() : new tracing.TraceIdRatioBasedSampler(r) });
  }
  shouldSample(...a: Parameters<tracing.Sampler['shouldSample']>): ReturnType<tracing.Sampler['shouldSample']> {
    return this.inner.shouldSample(...a);
  }
  toString(): string {
    return `Switchable(${this.inner.toString()})`;
  }
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const sampler = new SwitchableSampler();
  const otel = startTelemetry({
    serviceName: 'reward-router-bench',
    endpoint: receiver.url,
    protocol: args.protocol as 'http/protobuf' | 'http/json',
    sampler,
  })!;
  const broker = args.kafka && !process.env.KAFKA_BROKERS ? await startBroker() : null;
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? (broker ? [broker.brokers] : []);
  const codec = new SingleObjectCodec();
  const prior = syntheticPrior(undefined, 64);
  type Arm = 'off' | 'on' | 'sampled';
  const SAMPLE = Number(args.sample);
  const rows: Record<Arm, number>[] = [];
  const spans = { on: 0, sampled: 0 };
  const once1 = async (arm: Arm): Promise<number> => {
    const traced = arm !== 'off';
    sampler.ratio = arm === 'sampled' ? SAMPLE : 1;
    const prefix = `bench-${process.pid}-${++seq}.`;
    const settings = buildSettings(
      {
        seed: 1,
        run: 'bench/tracing',
        prefix,
        partitions: 3,
        posteriorWaitMs: 600_000,
        sim: { scenario: 'stationary', config: { d: 64, promptsPerBatch: Number(args.prompts), batches: BATCHES } },
      },
      prior,
    );
    const raw: Bus = args.kafka
      ? createKafkaBus({
          brokers,
          clientId: prefix,
          logLevel: logLevel.NOTHING,
          consumerTiming: { maxWaitTimeInMs: 50, heartbeatInterval: 500, sessionTimeout: 6000, rebalanceTimeout: 10000 },
        })
      : createMemoryBus({ clock: wall });
    const bus = traced ? meterBus(raw, otel.telemetry, { app: 'bench', codec, dlqTopic: topicName(prefix, 'dlq') }) : raw;
    const before = otel.telemetry.started;
    // The apps publish on channels (src/telemetry/channels.ts): traced arms listen, the off arm does not.
    if (traced) otel.subscribe();
    else otel.unsubscribe();
    try {
      const summary = await runLoop({ bus, settings, batches: BATCHES, clock: wall, log: quietLog, codec });
      const started = otel.telemetry.started - before;
      if (arm === 'on' && started === 0) throw new Error('bench: tracing on started no span: the channels were not heard');
      if (arm === 'off' && started !== 0) throw new Error(`bench: tracing off started ${started} spans`);
      if (arm !== 'off') spans[arm] += started;
      return summary.pairs / (summary.wallMs / 1000);
    } finally {
      await bus.close();
    }
  };
  const arms: Arm[] = SAMPLE > 0 && SAMPLE < 1 ? ['off', 'on', 'sampled'] : ['off', 'on'];
  try {
    await once1('off'); // warm-up (JIT, caches), not counted
    await once1('on');
    for (let r = 0; r < REPEATS; r++) {
      // Rotate which arm goes first, so a trend in the machine's load favours none.
      const row = { off: 0, on: 0, sampled: 0 };
      for (let i = 0; i < arms.length; i++) {
        const arm = arms[(i + r) % arms.length]!;
        row[arm] = await once1(arm);
      }
      rows.push(row);
      process.stderr.write(
        `repeat ${r + 1}: ${arms.map((a) => `${a} ${row[a].toFixed(0)}`).join(', ')} pairs/s; on/off ${(row.on / row.off).toFixed(2)}\n`,
      );
    }
    await otel.shutdown();
    if (otel.exported.spans === 0) throw new Error(`bench: no span was exported (${otel.exported.failed} failed)`);
    const requests = Object.values((await receiver.stats()).requests).reduce((a, b) => a + b, 0);
    const med = (arm: Arm) => median(rows.map((x) => x[arm]));
    const ratio = (arm: Arm) => rows.map((x) => x[arm] / x.off);
    const load = (await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');
    const fmt = (xs: number[]) => `${xs.map((x) => x.toFixed(2)).join(' ')} (median ${median(xs).toFixed(2)}x)`;
    process.stdout.write(
      [
        `tracing bench (${args.kafka ? 'real broker' : 'in-process bus'}, ${BATCHES} batches × ${args.prompts} prompts, ${REPEATS} repeats, OTLP ${otel.protocol}; load ${load})`,
        `  tracing off            : ${med('off').toFixed(0)} pairs/s (median)`,
        `  tracing on, every trace: ${med('on').toFixed(0)} pairs/s (median), ${(spans.on / (REPEATS + 1)).toFixed(0)} spans per run`,
        ...(arms.includes('sampled')
          ? [`  tracing on, ${(100 * SAMPLE).toFixed(0)} % of traces: ${med('sampled').toFixed(0)} pairs/s (median)`]
          : []),
        `  spans started ${otel.telemetry.started} (sampled or not), exported ${otel.exported.spans}, failed ${otel.exported.failed}; ${requests} OTLP requests received`,
        `  on/off, every trace: ${(med('on') / med('off')).toFixed(2)}x of medians; per repeat ${fmt(ratio('on'))}; goal >= 0.8x`,
        ...(arms.includes('sampled')
          ? [
              `  on/off, ${(100 * SAMPLE).toFixed(0)} % sampled: ${(med('sampled') / med('off')).toFixed(2)}x of medians; per repeat ${fmt(ratio('sampled'))}`,
            ]
          : []),
      ].join('\n') + '\n',
    );
  } finally {
    receiver.stop();
    await broker?.stop();
  }
}

await main();
