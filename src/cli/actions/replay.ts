/**
 * `reward-router replay` (re-run a recorded run's batches into a fresh namespace and compare every
 * decision) and `reward-router trace <pair-id>` (one pair's whole path, from the topics): their
 * work, loaded by the actions only (the flags are in ../commands/replay.ts).
 */
import { Presets, SingleBar } from 'cli-progress';
import { createCodec } from '../../avro/codec.ts';
import { createKafkaBus } from '../../bus/kafka/index.ts';
import { counterClock, createMemoryBus } from '../../bus/memory/index.ts';
import type { Bus, Clock } from '../../bus/types.ts';
import { RouterError } from '../../core/errors.ts';
import type { Divergence } from '../../../streams/replay/compare.ts';
import { replayRun, reproduced, type ReplayResult } from '../../../streams/replay/run.ts';
import { formatTrace, tracePair } from '../../../streams/replay/trace.ts';
import { formatWhatIf, parseWhatIf, whatIfJson, whatIfRun, type WhatIfResult } from '../../../streams/replay/whatIf.ts';
import { jsonLogger } from '../../../streams/runtime/context.ts';
import { runLoop } from '../../../streams/loop/loop.ts';
import { loadSettings } from '../../../streams/runtime/settings.ts';
import { kafkaClientConfig } from '../../security/cli.ts';
import { list } from '../options.ts';

const wallClock: Clock = { now: () => Date.now() };

/** `a..b` (inclusive) or a single batch `a`. */
export function parseBatchRange(v: string): { from: number; to: number } {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(v.trim());
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
    throw new RouterError('RR_INVALID_CONFIG', `--batches: expected a..b with a ≤ b, got ${JSON.stringify(v)}`, { field: 'batches' });
  }
  return { from, to };
}

const g = (v: number): string => v.toPrecision(8);

function divergenceLines(d: Divergence): string[] {
  const out = [`first divergence: pair ${d.pairId} (batch ${d.batch}, prompt ${d.promptId}), differing: ${d.fields.join(', ')}`];
  if (d.replayed === null) return [...out, '  the replay made no decision for this pair'];
  out.push(
    `  posterior version: recorded ${d.recorded.posteriorVersion}, replayed ${d.replayed.posteriorVersion};  chosen: recorded ${d.recorded.chosenRm}, replayed ${d.replayed.chosenRm}`,
  );
  const w = Math.max(...d.recorded.arms.map((a) => a.rm.length), 2);
  out.push(`  ${'RM'.padEnd(w)}  ${'side'.padEnd(8)}  ${'mean'.padStart(15)}  ${'std'.padStart(15)}  ${'sample'.padStart(15)}`);
  d.recorded.arms.forEach((a, k) => {
    const b = d.replayed!.arms[k];
    out.push(
      `  ${a.rm.padEnd(w)}  ${'recorded'.padEnd(8)}  ${g(a.mean).padStart(15)}  ${g(a.std).padStart(15)}  ${g(a.sample).padStart(15)}`,
    );
    if (b)
      out.push(
        `  ${''.padEnd(w)}  ${'replayed'.padEnd(8)}  ${g(b.mean).padStart(15)}  ${g(b.std).padStart(15)}  ${g(b.sample).padStart(15)}${Object.is(a.mean, b.mean) && Object.is(a.std, b.std) && Object.is(a.sample, b.sample) ? '' : '   ≠'}`,
      );
  });
  return out;
}

export function formatReplay(r: ReplayResult, from: string, into: string): string {
  const c = r.comparison;
  const checked = r.posteriors.filter((p) => p.recorded);
  const dl =
    Object.entries(r.deadLetters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'none';
  return [
    `replayed batches ${r.from}..${r.to} of ${from} into ${into}`,
    `pairs compared: ${c.compared}   identical: ${c.identical}   divergent: ${c.divergent}`,
    checked.length === 0
      ? `posteriors: not checked (the record no longer holds version ${r.to}: compacted)`
      : `posteriors (version ${r.to}): ${checked.map((p) => `${p.rm} ${p.identical ? 'bit-identical' : 'DIFFERENT'}`).join(', ')}`,
    `dead letters in the replay: ${dl}`,
    ...(c.first ? divergenceLines(c.first) : []),
    reproduced(r) ? 'REPRODUCED' : 'DIVERGED',
  ].join('\n');
}

export interface ReplayCli {
  config: string;
  namespace: string;
  into: string;
  batches?: string;
  brokers?: string;
  record?: number;
  json?: boolean;
  whatIf?: string[];
}

export async function replayCommand(o: ReplayCli, out: NodeJS.WritableStream = process.stdout): Promise<ReplayResult | WhatIfResult> {
  const recorded = { ...(await loadSettings(o.config)), prefix: o.namespace };
  const log = jsonLogger(process.stderr, { quiet: true });
  let bus: Bus;
  if (o.brokers !== undefined) {
    bus = createKafkaBus({ brokers: list(o.brokers), clientId: 'reward-router-replay', kafkaConfig: kafkaClientConfig() });
  } else if (o.record !== undefined) {
    // The in-process bus holds nothing across processes: record a run here first, then replay it.
    bus = createMemoryBus({ clock: counterClock() });
    process.stderr.write(`recording ${o.record} batches in-process into ${o.namespace}…\n`);
    await runLoop({ bus, settings: recorded, batches: o.record, clock: counterClock(), log });
  } else {
    throw new RouterError('RR_REPLAY', 'give --brokers (a recorded run on Kafka), or --record N to record a run in-process first', {
      field: 'brokers',
    });
  }
  const whatIf = o.whatIf !== undefined ? parseWhatIf(o.whatIf) : undefined;
  if (whatIf !== undefined && o.batches !== undefined)
    throw new RouterError('RR_INVALID_CONFIG', '--what-if runs the whole recorded run: drop --batches', { field: 'batches' });
  const range = o.batches !== undefined ? parseBatchRange(o.batches) : {};
  const bar = new SingleBar(
    { format: 'replay [{bar}] {value}/{total} batches', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  const onProgress = (done: number, total: number): void => {
    if (!started) {
      bar.start(total, 0);
      started = true;
    }
    bar.update(done);
  };
  try {
    if (whatIf !== undefined) {
      const w = await whatIfRun({
        bus,
        settings: recorded,
        into: o.into,
        whatIf,
        clock: wallClock,
        log,
        codec: createCodec({ prefix: o.into }),
        onProgress,
      });
      bar.stop();
      out.write((o.json === true ? whatIfJson(w) : formatWhatIf(w)) + '\n');
      return w;
    }
    const r = await replayRun({
      bus,
      settings: recorded,
      into: o.into,
      ...range,
      clock: wallClock,
      log,
      codec: createCodec({ prefix: o.into }),
      onProgress,
    });
    bar.stop();
    if (o.json === true) {
      out.write(
        JSON.stringify(
          { from: r.from, to: r.to, ...r.comparison, posteriors: r.posteriors, deadLetters: r.deadLetters, reproduced: reproduced(r) },
          null,
          2,
        ) + '\n',
      );
    } else {
      out.write(formatReplay(r, o.namespace, o.into) + '\n');
    }
    if (!reproduced(r)) process.exitCode = 1;
    return r;
  } finally {
    bar.stop();
    await bus.close();
  }
}

/** `trace <pair-id>`: the pair's path, read from the run's topics. */
export async function traceCommand(pairId: string, o: { namespace: string; brokers: string; json?: boolean }): Promise<void> {
  const bus = createKafkaBus({ brokers: list(o.brokers), clientId: 'reward-router-trace', kafkaConfig: kafkaClientConfig() });
  try {
    const t = await tracePair(bus, createCodec({ prefix: o.namespace }), o.namespace, pairId);
    process.stdout.write((o.json === true ? JSON.stringify(t, null, 2) : formatTrace(t)) + '\n');
  } finally {
    await bus.close();
  }
}
