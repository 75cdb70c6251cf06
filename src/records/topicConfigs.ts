/**
 * Topic configs for the bootstrap: partitions, compaction for `posteriors`,
 * and `max.message.bytes` wherever a record can pass Kafka's 1 MB default
 * (snapshots are 16·d² bytes: 9.4 MB at d = 768; deltas grow with rows·d).
 * Consumers of those topics must also raise their fetch sizes accordingly.
 */
import { requestsTopics, topicName, topicSpecs, type TopicBase } from './topics.ts';
import { defaultSizeLimits, deltaBytes, maxMessageBytes, RECORD_OVERHEAD_BYTES, snapshotBytes, type SizeLimits } from './sizes.ts';

export interface TopicPlanOptions {
  /** Context dimension of the posteriors (sizes snapshots and deltas). */
  d: number;
  /** Most rows in one PosteriorDelta (pairs routed to one RM in one batch). */
  maxDeltaRows?: number;
  /** Partitions of every topic unless overridden in `partitionsByBase`. */
  partitions?: number;
  partitionsByBase?: Partial<Record<TopicBase, number>>;
  limits?: SizeLimits;
  /**
   * `max.message.bytes` of the topics that carry user payloads (generations, requests, scores,
   * labels, feedback, decisions); default `RECORD_TOPIC_MAX_BYTES`. Set explicitly, never left to
   * the broker's default, so the dead-letter bound and the start check know it.
   */
  recordBytes?: number;
}

export interface TopicPlan {
  name: string;
  base: TopicBase;
  partitions: number;
  configs: Record<string, string>;
}

export const DEFAULT_PARTITIONS = 6;
export const DEFAULT_MAX_DELTA_ROWS = 1024;
/** The broker's default `message.max.bytes` (1 MiB + batch overhead); below it nothing needs setting. */
const KAFKA_DEFAULT_MAX = 1048588;
/** The default `max.message.bytes` of the user-payload topics: the broker's default, written out. */
export const RECORD_TOPIC_MAX_BYTES = KAFKA_DEFAULT_MAX;
/** Room in a dead letter's value beyond the original's bytes: topic, stage, message (cut at 2 KiB), key, offsets. */
export const DLQ_ENVELOPE_BYTES = 4 * 1024;
/** The user-payload topics, whose `max.message.bytes` is `recordBytes`. */
export const recordTopicBases: readonly TopicBase[] = ['generations', 'requests', 'scores', 'labels', 'feedback', 'decisions'];

const sized = (bytes: number): Record<string, string> => (bytes > KAFKA_DEFAULT_MAX ? { 'max.message.bytes': String(bytes) } : {});

/** The configs of one topic base. */
export function topicConfigs(base: TopicBase, opts: TopicPlanOptions): Record<string, string> {
  const limits = opts.limits ?? defaultSizeLimits;
  const snapshot = maxMessageBytes(snapshotBytes(opts.d, limits));
  const delta = maxMessageBytes(deltaBytes(opts.d, opts.maxDeltaRows ?? DEFAULT_MAX_DELTA_ROWS, limits));
  switch (base) {
    case 'posteriors':
      return {
        'cleanup.policy': 'compact',
        // The active segment is never compacted: roll it often so old snapshots go.
        'segment.ms': String(10 * 60 * 1000),
        'min.cleanable.dirty.ratio': '0.1',
        'min.compaction.lag.ms': '0',
        // Tombstones (an RM removed) stay long enough for restoring readers to see them.
        'delete.retention.ms': String(24 * 60 * 60 * 1000),
        // Never below the broker default: small records still share a batch (src/bus/kafka/convert.ts).
        'max.message.bytes': String(Math.max(snapshot, KAFKA_DEFAULT_MAX)),
      };
    case 'posterior-deltas':
      return sized(delta);
    case 'dlq':
      return { 'max.message.bytes': String(dlqMaxMessageBytes(opts)) };
    default:
      return recordTopicBases.includes(base) ? { 'max.message.bytes': String(opts.recordBytes ?? RECORD_TOPIC_MAX_BYTES) } : {};
  }
}

/**
 * `max.message.bytes` of `dlq`: a dead letter wraps the original bytes, so the topic holds the
 * largest record any topic accepts (a whole `max.message.bytes`, taken as the value's bound)
 * plus the letter's own fields and the record overhead. Dead letters are still bounded to it
 * (`deadLetterValueBytes`): an original that would not fit keeps a prefix, its length and SHA-256.
 */
export function dlqMaxMessageBytes(opts: TopicPlanOptions): number {
  const limits = opts.limits ?? defaultSizeLimits;
  const largest = Math.max(
    opts.recordBytes ?? RECORD_TOPIC_MAX_BYTES,
    KAFKA_DEFAULT_MAX,
    maxMessageBytes(snapshotBytes(opts.d, limits)),
    maxMessageBytes(deltaBytes(opts.d, opts.maxDeltaRows ?? DEFAULT_MAX_DELTA_ROWS, limits)),
  );
  return largest + DLQ_ENVELOPE_BYTES + RECORD_OVERHEAD_BYTES;
}

/** The most bytes a dead letter's value may have to fit a `dlq` topic of `max.message.bytes` = `dlqMax` (key, headers and batch header aside). */
export function deadLetterValueBytes(dlqMax: number): number {
  return dlqMax - RECORD_OVERHEAD_BYTES;
}

/** Every topic of a deployment: the fixed ones plus one `requests.<rm>` per RM (collision-checked). */
export function topicPlan(prefix: string, rms: readonly string[], opts: TopicPlanOptions): TopicPlan[] {
  const partitionsOf = (base: TopicBase): number => opts.partitionsByBase?.[base] ?? opts.partitions ?? DEFAULT_PARTITIONS;
  const plan: TopicPlan[] = [];
  for (const base of Object.keys(topicSpecs) as TopicBase[]) {
    if (base === 'requests') {
      for (const name of requestsTopics(prefix, rms).values())
        plan.push({ name, base, partitions: partitionsOf(base), configs: topicConfigs(base, opts) });
    } else {
      plan.push({ name: topicName(prefix, base), base, partitions: partitionsOf(base), configs: topicConfigs(base, opts) });
    }
  }
  return plan;
}
