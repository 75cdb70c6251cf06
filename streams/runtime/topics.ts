/**
 * Creates every topic of a loop on a bus: the catalog's plan (src/records/
 * topicConfigs.ts) for the loop's prefix and RMs, with partitions, compaction
 * of `posteriors` and the message-size configs. Existing topics are left alone.
 */
import type { Bus } from '../../src/bus/types.ts';
import { deadLetterValueBytes, dlqMaxMessageBytes, topicPlan, type TopicPlan } from '../../src/records/topicConfigs.ts';
import type { LoopSettings } from './context.ts';

/** The plan of a loop: every topic name, its partitions and configs. */
export function loopTopicPlan(s: Pick<LoopSettings, 'prefix' | 'arms' | 'prior' | 'partitions'>): TopicPlan[] {
  return topicPlan(s.prefix, s.arms, { d: s.prior.d, partitions: s.partitions });
}

/** The bound on a dead letter's value in this loop: what the plan's `dlq` topic accepts. */
export function dlqValueBytes(s: Pick<LoopSettings, 'prior'>): number {
  return deadLetterValueBytes(dlqMaxMessageBytes({ d: s.prior.d }));
}

export async function createLoopTopics(bus: Bus, s: Pick<LoopSettings, 'prefix' | 'arms' | 'prior' | 'partitions'>): Promise<TopicPlan[]> {
  const plan = loopTopicPlan(s);
  await bus.createTopics(plan.map((p) => ({ name: p.name, partitions: p.partitions, configs: p.configs })));
  return plan;
}

/** One line per topic, for `reward-router topics create`. */
export function describePlan(plan: readonly TopicPlan[]): string {
  return plan
    .map((p) => {
      const cfg = Object.entries(p.configs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      return `${p.name}  partitions=${p.partitions}${cfg ? `  ${cfg}` : ''}`;
    })
    .join('\n');
}
