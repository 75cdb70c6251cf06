/**
 * Admin calls right after a broker starts or a topic is created can hit a broker whose metadata
 * has not caught up yet (NOT_LEADER_FOR_PARTITION, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE).
 * kafkajs marks those retriable but retries neither ListOffsets nor the leader wait of CreateTopics
 * on UNKNOWN_TOPIC_OR_PARTITION, so the restore path and the topic bootstrap would fail on a fresh
 * namespace. `withMetadataRetry` retries such a call with a metadata refresh between attempts and a
 * capped exponential delay; anything not retriable is thrown at once.
 */
import type { Admin } from 'kafkajs';

export interface MetadataRetry {
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultMetadataRetry: MetadataRetry = { retries: 8, initialDelayMs: 100, maxDelayMs: 2_000 };

const isRetriable = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;

export async function withMetadataRetry<T>(
  admin: Admin,
  topics: string[],
  call: () => Promise<T>,
  retry: MetadataRetry = defaultMetadataRetry,
): Promise<T> {
  let delay = retry.initialDelayMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isRetriable(err) || attempt >= retry.retries) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(retry.maxDelayMs, delay * 2);
      await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
    }
  }
}

/** `admin.fetchTopicOffsets` with the metadata retry. */
export function fetchTopicOffsets(admin: Admin, topic: string): ReturnType<Admin['fetchTopicOffsets']> {
  return withMetadataRetry(admin, [topic], () => admin.fetchTopicOffsets(topic));
}
