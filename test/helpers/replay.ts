// Copies a recorded run's namespace into another one, optionally changing one LOSS value on the
// way: how the replay tests "corrupt one recorded feedback value" without writing to the record.
import type { RecordCodec } from '../../src/avro/codec.ts';
import type { Bus, OutRecord } from '../../src/bus/types.ts';
import { topicName } from '../../src/records/topics.ts';
import type { LoopSettings } from '../../streams/runtime/context.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';

export interface LossChange {
  pairId: string;
  loss: number;
}

export async function copyRun(bus: Bus, codec: RecordCodec, s: LoopSettings, into: string, change?: LossChange): Promise<void> {
  await createLoopTopics(bus, { ...s, prefix: into });
  const out: OutRecord[] = [];
  for (const base of ['generations', 'scores', 'feedback', 'decisions', 'labels', 'posterior-deltas', 'posteriors'] as const) {
    for (const r of await bus.readToEnd(topicName(s.prefix, base))) {
      let value = r.value;
      if (base === 'feedback' && change !== undefined && value !== null) {
        const f = await codec.decode('feedback', value);
        if (f.pairId === change.pairId) value = await codec.encode('feedback', { ...f, loss: change.loss });
      }
      out.push({ topic: topicName(into, base), key: r.key, value, partition: r.partition });
    }
  }
  const producer = await bus.producer();
  try {
    for (let i = 0; i < out.length; i += 500) await producer.send(out.slice(i, i + 500));
  } finally {
    await producer.close();
  }
}
