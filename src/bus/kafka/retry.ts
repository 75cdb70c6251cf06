/**
 * `admin.fetchTopicOffsets` right after a topic is created can hit a broker whose
 * metadata has not caught up yet (NOT_LEADER_FOR_PARTITION, UNKNOWN_TOPIC_OR_PARTITION,
 * LEADER_NOT_AVAILABLE). kafkajs marks those retriable but does not retry ListOffsets
 * itself, so the restore path would fail on a fresh namespace. Retry with a metadata
 * refresh and a capped exponential delay; anything not retriable is thrown at once.
 */
import type { Admin } from 'kafkajs';

type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

export interface OffsetsRetry {
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultOffsetsRetry: OffsetsRetry = { retries: 8, initialDelayMs: 100, maxDelayMs: 2_000 };

const isRetriable = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;

export async function fetchTopicOffsets(admin: Admin, topic: string, retry: OffsetsRetry = defaultOffsetsRetry): Promise<TopicOffsets> {
  let delay = retry.initialDelayMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (!isRetriable(err) || attempt >= retry.retries) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(retry.maxDelayMs, delay * 2);
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}
