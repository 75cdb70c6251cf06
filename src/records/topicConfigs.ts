/**
 * Topic configs for the bootstrap: partitions, compaction for `posteriors`,
 * and `max.message.bytes` wherever a record can pass Kafka's 1 MB default
 * (snapshots are 16·d² bytes: 9.4 MB at d = 768; deltas grow with rows·d).
 * Consumers of those topics must also raise their fetch sizes accordingly.
 */
import { requestsTopics, topicName, topicSpecs, type TopicBase } from './topics.ts';
import { defaultSizeLimits, deltaBytes, maxMessageBytes, snapshotBytes, type SizeLimits } from './sizes.ts';

export interface TopicPlanOptions {
  /** Context dimension of the posteriors (sizes snapshots and deltas). */
  d: number;
  /** Most rows in one PosteriorDelta (pairs routed to one RM in one batch). */
  maxDeltaRows?: number;
  /** Partitions of every topic unless overridden in `partitionsByBase`. */
  partitions?: number;
  partitionsByBase?: Partial<Record<TopicBase, number>>;
  limits?: SizeLimits;
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
      // A dead letter wraps the original bytes, so it must fit the largest record of any topic.
      return sized(Math.max(snapshot, delta) + 2 * 1024);
    default:
      return {};
  }
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
