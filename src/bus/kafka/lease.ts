/**
 * One active writer among several instances of an app (the aggregator, the store): a consumer
 * group whose own assigner hands every partition of a small topic to ONE member, the lease holder.
 * The holder keeps the lease across rebalances (it says so in its subscription metadata), so a
 * standby joining never takes it over; when the holder dies, its session expires, the group
 * rebalances and a standby gets the partitions: that is the takeover. The lease consumer reads
 * nothing it keeps and commits nothing; it only heartbeats. The new holder's transactional id then
 * fences whatever the old one might still try to commit.
 */
import kafkajs from 'kafkajs';
import type { Assigner, Kafka } from 'kafkajs';
import type { ConsumerTiming } from '../types.ts';
import type { Naming } from './convert.ts';

const { AssignerProtocol } = kafkajs;
const NAME = 'RewardRouterLease';

export interface LeaseOptions {
  groupId: string;
  /** Any existing topic (its partitions are the lease; its records are ignored). */
  topic: string;
  /** Called with true when this member gets the lease, false when it loses it. */
  onChange(active: boolean): void;
  onError(err: unknown): void;
}

export interface Lease {
  readonly active: boolean;
  close(): Promise<void>;
}

export async function acquireLease(kafka: Kafka, naming: Naming, timing: ConsumerTiming, o: LeaseOptions): Promise<Lease> {
  let holding = false;
  const assigner = ({ cluster }: { cluster: { findTopicPartitionMetadata(topic: string): { partitionId: number }[] } }): Assigner => ({
    name: NAME,
    version: 1,
    async assign({ members, topics }) {
      const says = (m: { memberMetadata: Buffer }): string =>
        AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData?.toString() ?? '';
      const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
      const winner = (sorted.find((m) => says(m) === 'holder') ?? sorted[0])!.memberId;
      const assignment = Object.fromEntries(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)]));
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: m.memberId === winner ? assignment : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(holding ? 'holder' : 'standby') }),
      };
    },
  });
  const consumer = kafka.consumer({
    groupId: naming.group(o.groupId),
    partitionAssigners: [assigner as never],
    ...timing,
    retry: { restartOnFailure: async () => false },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const now = Object.values(payload.memberAssignment).some((ps) => ps.length > 0);
    if (now !== holding) {
      holding = now;
      o.onChange(now);
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => o.onError(payload.error));
  await consumer.connect();
  await consumer.subscribe({ topics: [naming.topic(o.topic)], fromBeginning: false });
  await consumer.run({ autoCommit: false, eachBatch: async () => {} });
  let closed = false;
  return {
    get active() {
      return holding;
    },
    async close() {
      if (closed) return;
      closed = true;
      await consumer.disconnect(); // LeaveGroup: a standby gets the lease at once, not after the session timeout
    },
  };
}
