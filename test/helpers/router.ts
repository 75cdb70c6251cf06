// Drives one router app on the in-process bus with given generations and reads back what it did:
// the dead letters and the pair ids it decided (tests of the router's edge: input limits, dedupe).
import type { SingleObjectCodec } from '../../src/avro/codec.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { DeadLetter, Generation } from '../../src/records/types.ts';
import type { Logger, LoopSettings } from '../../streams/runtime/context.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { waitFor } from './kafka.ts';

export interface RouteOptions {
  codec: SingleObjectCodec;
  log: Logger;
  /** Dead letters to wait for before reading back. */
  dlqCount: number;
  /** Send every generation to this partition (their offsets then follow the send order). */
  partition?: number;
}

/** Sends the generations to a fresh router; returns its dead letters and the pair ids it decided. */
export async function routeGenerations(
  s: LoopSettings,
  gens: readonly Generation[],
  o: RouteOptions,
): Promise<{ dlq: DeadLetter[]; decided: string[] }> {
  const { codec } = o;
  const clock = counterClock();
  const bus = createMemoryBus({ clock });
  await createLoopTopics(bus, s);
  const router = await startRouterApp({ bus, codec, clock, log: o.log, settings: s });
  try {
    const producer = await bus.producer();
    await producer.send(
      gens.map((g) => ({
        topic: topicName(s.prefix, 'generations'),
        ...(o.partition !== undefined ? { partition: o.partition } : {}),
        key: Buffer.from(recordKey('generations', g) as string),
        value: codec.encodeSync('generations', g),
      })),
    );
    await waitFor(async () => router.stats().records === gens.length, { message: 'every generation processed' });
    await waitFor(async () => (await bus.readToEnd(topicName(s.prefix, 'dlq'))).length >= o.dlqCount, { message: 'the dead letters' });
    const dlq = (await bus.readToEnd(topicName(s.prefix, 'dlq'))).map((r) => codec.decodeSync('dlq', r.value!) as DeadLetter);
    const decided = (await bus.readToEnd(topicName(s.prefix, 'decisions'))).flatMap((r) =>
      pairDecisions(codec.decodeSync('decisions', r.value!)).map((d) => d.pairId),
    );
    return { dlq, decided };
  } finally {
    await router.close();
    await bus.close();
  }
}
