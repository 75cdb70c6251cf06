/**
 * A consumer-group member of the Kafka adapter (kafkajs eachBatch). run() resolves only after
 * GROUP_JOIN: kafkajs's own run() resolves before the join, and a caller that produces right away
 * would race the assignment (docs/kafka-local.md, "kafkajs run() resolves before the join").
 */
import type { Consumer, Kafka } from 'kafkajs';
import { RouterError } from '../../core/errors.ts';
import type { BatchHandler, BusConsumer, ConsumerOptions, ConsumerTiming, TopicPartitionOffset } from '../types.ts';
import { toBusRecord, toWireOffsets } from './convert.ts';
import type { Naming } from './convert.ts';
import { waitForJoin } from './join.ts';

export interface KafkaConsumerSettings {
  timing: ConsumerTiming;
  /** How long run() waits for the group join. */
  joinTimeoutMs: number;
}

export class KafkaBusConsumer implements BusConsumer {
  readonly groupId: string;
  private readonly consumer: Consumer;
  private readonly wireTopics: string[];
  private started = false;
  private closed = false;
  private isPaused = false;
  /** The handler's own error, to hand to onError instead of kafkajs's wrapper around it. */
  private handlerError: unknown = undefined;
  private rejectJoin: ((err: unknown) => void) | null = null;
  /** Settles when the first join completes or fails (never rejects). */
  private joining: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly naming: Naming,
    private readonly opts: ConsumerOptions,
    private readonly settings: KafkaConsumerSettings,
  ) {
    this.groupId = opts.groupId;
    this.wireTopics = opts.topics.map((t) => naming.topic(t));
    this.consumer = kafka.consumer({
      groupId: naming.group(opts.groupId),
      readUncommitted: !(opts.readCommitted ?? true),
      allowAutoTopicCreation: false,
      ...settings.timing,
      ...opts.timing,
      // kafkajs never restarts a crashed consumer on its own: a crash (broker gone, coordinator lost,
      // retries exhausted) always reaches onError, and the app's supervisor replaces the whole app
      // (streams/runtime/supervisor.ts). A consumer restarted in place would redeliver records into state
      // that already holds them.
      retry: { restartOnFailure: async () => false },
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.opts.onError?.(this.handlerError ?? payload.error);
    });
  }

  get paused(): boolean {
    return this.isPaused;
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.closed || this.started) throw new RouterError('RR_BUS', `consumer of group ${this.groupId} cannot run twice`);
    this.started = true;
    const closedNow = (): RouterError =>
      new RouterError('RR_BUS', `consumer of group ${this.groupId} closed while starting`, { groupId: this.groupId });
    await this.consumer.connect();
    if (this.closed) throw closedNow(); // close() came during connect: never start a runner that would join
    await this.consumer.subscribe({ topics: this.wireTopics, fromBeginning: this.opts.fromBeginning ?? false });
    if (this.closed) throw closedNow();
    const joined = waitForJoin(this.consumer, this.settings.joinTimeoutMs, this.groupId);
    this.joining = joined.then(
      () => undefined,
      () => undefined,
    );
    // close() while joining (SIGTERM during startup) ends the wait at once instead of after joinTimeoutMs.
    const closedWhileJoining = new Promise<never>((_, reject) => {
      this.rejectJoin = reject;
    });
    closedWhileJoining.catch(() => {});
    await this.consumer.run({
      autoCommit: this.opts.autoCommit ?? true,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const topic = this.naming.fromWire(batch.topic);
        const records = batch.messages.map((m) => toBusRecord(topic, batch.partition, m));
        try {
          await handler({ topic, partition: batch.partition, records });
        } catch (err) {
          this.handlerError = err;
          // retriable: false makes kafkajs stop (no retry, no restart) and emit CRASH → onError.
          throw new RouterError('RR_BUS', `handler failed on ${topic}[${batch.partition}]`, { cause: err, retriable: false });
        }
      },
    });
    // kafkajs refuses pause() before run(); a pause asked for earlier is applied now.
    if (this.isPaused) this.pause();
    try {
      await Promise.race([joined, closedWhileJoining]);
    } finally {
      this.rejectJoin = null;
    }
  }

  pause(): void {
    this.isPaused = true;
    if (this.started) this.flow('pause');
  }

  resume(): void {
    this.isPaused = false;
    if (this.started) this.flow('resume');
  }

  /**
   * kafkajs throws from pause/resume once a crash has stopped its runner; the crash itself has
   * already gone to onError, so the flag is all that matters here (never an unhandled throw from
   * a backpressure callback).
   */
  private flow(op: 'pause' | 'resume'): void {
    if (this.closed) return;
    try {
      this.consumer[op](this.wireTopics.map((topic) => ({ topic })));
    } catch {
      /* crashed or not running: reported through CRASH → onError */
    }
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length > 0) await this.consumer.commitOffsets(toWireOffsets(this.naming, offsets));
  }

  /** Idempotent; a second call waits for the first (a close during the join takes until the join settles). */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    const wasJoining = this.rejectJoin !== null;
    this.rejectJoin?.(new RouterError('RR_BUS', `consumer of group ${this.groupId} closed while joining`, { groupId: this.groupId }));
    if (wasJoining && this.joining !== null) {
      // kafkajs's stop() does nothing while its runner is still joining (it is not "running" yet): the
      // member would join after the disconnect, stay in the group until its session expires, and its
      // runner would crash on the closed client. So let the join settle (bounded by the group's
      // rebalance timeout and joinTimeoutMs), give kafkajs a turn to mark the runner running, then
      // disconnect, which sends LeaveGroup.
      await this.joining;
      await new Promise((r) => setImmediate(r));
    }
    await this.consumer.disconnect(); // waits for the running batch, then LeaveGroup
  }
}
