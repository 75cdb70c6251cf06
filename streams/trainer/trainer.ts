/**
 * The trainer app: drives the loop batch by batch with a trainer module (module.ts; the project's
 * is the simulated policy, simulated.ts). For t = 0..T−1 it sends batch t's generations, waits for
 * one Label per prompt, sends one LOSS per kept pair (the module's loss under the pre-update
 * policy) and one BATCH_END, then goes on. Its labels consumer starts before the first send.
 */
import type { BusConsumer, BusRecord, OutRecord } from '../../src/bus/types.ts';
import { sendTraced, traceRecord, type SendSpan } from '../../src/telemetry/channels.ts';
import { topicName } from '../../src/records/topics.ts';
import type { Feedback, Label } from '../../src/records/types.ts';
import type { AppContext, AppHandle } from '../runtime/context.ts';
import type { TrainerBatch, TrainerModule } from './module.ts';
import { simTrainerModule } from './simulated.ts';

export interface TrainerOptions {
  /** What it drives (default: the simulated policy, which needs the loop's `sim` section). */
  module?: TrainerModule;
  /** Batches to run (default: the module's). */
  batches?: number;
  /** Called after each batch's feedback is sent. */
  onBatch?: (t: number, stats: Record<string, number>) => void;
}

export interface TrainerHandle extends AppHandle {
  /** Resolves when every batch's feedback is sent; rejects if the trainer fails. */
  readonly done: Promise<void>;
}

/** Labels per batch, by prompt (re-deliveries overwrite with the same content). */
class LabelInbox {
  readonly #byBatch = new Map<number, Map<string, Label>>();
  #wake: (() => void) | null = null;
  /** Labels of batches below this are done with (re-read on a resume) and dropped. */
  floor = 0;

  add(l: Label): void {
    if (l.batch < this.floor) return;
    let m = this.#byBatch.get(l.batch);
    if (!m) this.#byBatch.set(l.batch, (m = new Map()));
    m.set(l.promptId, l);
    this.#wake?.();
  }

  /** Waits for `n` prompts of batch t; `closed` aborts the wait. */
  async take(t: number, n: number, closed: () => boolean): Promise<Label[] | null> {
    for (;;) {
      const m = this.#byBatch.get(t);
      if (m && m.size >= n) {
        this.#byBatch.delete(t);
        this.floor = t + 1;
        return [...m.values()];
      }
      if (closed()) return null;
      await new Promise<void>((r) => {
        this.#wake = r;
      });
      this.#wake = null;
    }
  }

  close(): void {
    this.#wake?.();
  }
}

/**
 * Where a (re)started trainer goes on: the batch after the last BATCH_END of this run on
 * `feedback` (keyed by run: one partition, in order), and the generation keys already on
 * `generations` (read only when resuming; the simulated driver's restart cost).
 */
async function resumePoint(ctx: AppContext): Promise<{ first: number; sent: Set<string> }> {
  const { bus, codec, settings: s } = ctx;
  let first = 0;
  for (const r of await bus.readToEnd(topicName(s.prefix, 'feedback'))) {
    if (r.value === null) continue;
    const f = await codec.decode('feedback', r.value).catch(() => null);
    if (f !== null && f.run === s.run && f.kind === 'BATCH_END') first = Math.max(first, f.batch + 1);
  }
  const sent = new Set<string>();
  const ends = await bus.endOffsets(topicName(s.prefix, 'generations'));
  if (ends.some((e) => BigInt(e.high) > BigInt(e.low))) {
    for (const r of await bus.readToEnd(topicName(s.prefix, 'generations'))) if (r.key !== null) sent.add(r.key.toString());
  }
  return { first, sent };
}

/**
 * Follows `labels` into the inbox. No commits: every start reads the topic from the beginning and
 * drops the batches already done, so a restart (SIGKILL, or the supervisor replacing the app) never
 * loses the labels of the batch it was waiting for, and the group leaves no offsets behind.
 */
async function followLabels(ctx: AppContext, inbox: LabelInbox, labelRecords: Map<string, BusRecord>): Promise<BusConsumer> {
  const { bus, codec, settings: s } = ctx;
  const log = ctx.log.namespace('trainer');
  const consumer = await bus.consumer({
    groupId: `${s.prefix}trainer`,
    topics: [topicName(s.prefix, 'labels')],
    fromBeginning: true,
    autoCommit: false,
    onError: (err) => {
      log.error('consumer stopped', { err: String(err) });
      ctx.onFatal?.(err);
    },
  });
  await consumer.run(async (batch) => {
    for (const r of batch.records) {
      try {
        const l = await codec.decode('labels', r.value ?? Buffer.alloc(0));
        if (l.run !== s.run) continue;
        inbox.add(l);
        labelRecords.set(l.promptId, r);
        traceRecord('trainer', `${s.prefix}trainer`, r, { batch: l.batch, promptId: l.promptId })?.end();
      } catch (err) {
        log.warn('undecodable label skipped', { offset: r.offset, err: String(err) });
      }
    }
  });
  return consumer;
}

/**
 * Batch t's feedback records: one LOSS per kept pair of its labels (the module's loss) and one
 * BATCH_END, with the send spans that continue each label's trace.
 */
async function feedbackFor(
  ctx: AppContext,
  t: number,
  b: TrainerBatch,
  labels: readonly Label[],
  labelRecords: Map<string, BusRecord>,
): Promise<{ out: OutRecord[]; spans: SendSpan[]; kept: number; keptCorrect: number }> {
  const { codec, settings: s } = ctx;
  const log = ctx.log.namespace('trainer');
  const record = async (f: Feedback): Promise<OutRecord> => ({
    topic: topicName(s.prefix, 'feedback'),
    key: Buffer.from(s.run),
    value: await codec.encode('feedback', f),
  });
  const out: OutRecord[] = [];
  const spans: SendSpan[] = [];
  let kept = 0;
  let keptCorrect = 0;
  for (const l of labels) {
    const from = out.length;
    for (const pl of l.pairs) {
      const fb = b.feedback(pl.pairId, pl.chosen);
      if (fb === undefined) {
        log.warn('label for a pair not in the batch', { pairId: pl.pairId });
        continue;
      }
      out.push(await record({ run: s.run, batch: t, kind: 'LOSS', pairId: pl.pairId, loss: fb.loss, expectedPairs: null }));
      kept++;
      if (fb.correct) keptCorrect++;
    }
    // Traced: a label's losses continue its prompt's trace.
    if (out.length > from)
      spans.push({
        topic: out[from]!.topic,
        from,
        to: out.length,
        parent: labelRecords.get(l.promptId),
        batch: t,
        promptId: l.promptId,
        count: out.length - from,
      });
    labelRecords.delete(l.promptId);
  }
  out.push(await record({ run: s.run, batch: t, kind: 'BATCH_END', pairId: null, loss: null, expectedPairs: kept }));
  spans.push({ topic: out.at(-1)!.topic, from: out.length - 1, to: out.length, batch: t, feedbackKind: 'BATCH_END' });
  return { out, spans, kept, keptCorrect };
}

export async function startTrainerApp(ctx: AppContext, opts: TrainerOptions = {}): Promise<TrainerHandle> {
  const s = ctx.settings;
  const log = ctx.log.namespace('trainer');
  const module = opts.module ?? simTrainerModule(ctx);
  const T = opts.batches ?? module.batches;
  const stats = { batch: 0, batches: T, pairs: 0, labels: 0, kept: 0, keptCorrect: 0 };
  const inbox = new LabelInbox();
  let closed = false;
  const producer = await ctx.bus.producer();
  /** Each label's record by prompt id: its feedback's trace continues the label's (src/telemetry/channels.ts). */
  const labelRecords = new Map<string, BusRecord>();
  const { first, sent } = await resumePoint(ctx);
  inbox.floor = first;
  if (first > 0) log.info('resuming', { batch: first });
  const consumer = await followLabels(ctx, inbox, labelRecords);

  const run = async (): Promise<void> => {
    for (let t = first; t < T && !closed; t++) {
      const b = await module.batch(t);
      // On a resume, the prompts of this batch that already went out are not sent twice.
      const fresh = b.generations.map((r, i) => ({ r, promptId: b.promptIds[i]! })).filter(({ r }) => !sent.has(r.key!.toString()));
      // Traced: each Generation record starts its prompt's trace with a `send` span.
      await sendTraced(
        producer,
        'trainer',
        fresh.map(({ r }) => r),
        () => fresh.map(({ r, promptId }, i) => ({ topic: r.topic, from: i, to: i + 1, run: s.run, batch: t, promptId })),
      );
      const labels = await inbox.take(t, b.promptIds.length, () => closed);
      if (labels === null) return;
      const fb = await feedbackFor(ctx, t, b, labels, labelRecords);
      await sendTraced(producer, 'trainer', fb.out, () => fb.spans);
      stats.batch = t + 1;
      stats.pairs += b.pairs;
      stats.labels += labels.length;
      stats.kept += fb.kept;
      stats.keptCorrect += fb.keptCorrect;
      log.info('batch done', { batch: t });
      opts.onBatch?.(t, { ...stats });
    }
  };
  const done = run();
  done.catch((err: unknown) => log.error('trainer failed', { err: String(err) }));

  return {
    name: 'trainer',
    done,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      inbox.close();
      await done.catch(() => undefined);
      await consumer.close();
      await producer.close();
    },
  };
}
