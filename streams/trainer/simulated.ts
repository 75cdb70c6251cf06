/**
 * The simulated trainer module: batch t of the simulated online-DPO stream (docs/simulator.md) as
 * Generation records with the simulator's prompt and response texts, and each kept pair's loss from
 * SimTrainer. It needs the loop's `sim` section; a loop without one has no simulated trainer.
 */
import type { OutRecord } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import { recordKey, topicName } from '../../src/records/topics.ts';
import type { Generation } from '../../src/records/types.ts';
import { simStreamOf, type SimSettings } from '../../src/sim/backend.ts';
import type { OnlineStream, SimBatch } from '../../src/sim/stream.ts';
import { responseIndices, simPromptText, simResponseText } from '../../src/sim/texts.ts';
import { SimTrainer } from '../../src/sim/trainer.ts';
import type { AppContext, LoopSettings } from '../runtime/context.ts';
import type { TrainerModule } from './module.ts';

/** The loop's simulator section, or RR_INVALID_CONFIG naming what needed it. */
export function requireSim(s: LoopSettings, what: string): SimSettings {
  if (s.sim === undefined)
    throw new RouterError('RR_INVALID_CONFIG', `sim: ${what} needs the loop's "sim" section (the simulated policy and RM pool)`, {
      field: 'sim',
    });
  return s.sim;
}

/** The simulated online stream of a loop's settings (the same batches the simulated trainer sends). */
export function simStream(s: LoopSettings): OnlineStream {
  return simStreamOf(requireSim(s, 'the simulated stream'), s.arms, s.seed);
}

/** The Generation records of one simulated batch (one per prompt, pairs in generation order). */
export function generationRecords(ctx: Pick<AppContext, 'codec' | 'clock' | 'settings'>, b: SimBatch): Promise<OutRecord[]> {
  const { codec, clock, settings: s } = ctx;
  return Promise.all(
    b.prompts.map(async (p) => {
      // Text from the simulator's template banks; vectors only when the router has no encoder (text mode sends none).
      const text = (pairId: string, side: 0 | 1) => simResponseText(p.category, p.promptId, responseIndices(pairId)[side], s.seed);
      const g: Generation = {
        run: s.run,
        batch: b.t,
        promptId: p.promptId,
        category: p.category,
        prompt: simPromptText(p.category, p.promptId, s.seed),
        messages: [],
        sentAtMs: clock.now(),
        pairs: p.pairs.map((x) => ({
          pairId: x.pairId,
          responseA: text(x.pairId, 0),
          responseB: text(x.pairId, 1),
          embedding: s.encoder === undefined ? Array.from(x.x) : [],
        })),
      };
      return {
        topic: topicName(s.prefix, 'generations'),
        key: Buffer.from(recordKey('generations', g) as string),
        value: await codec.encode('generations', g),
      };
    }),
  );
}

/** The simulated policy as the trainer app's module. */
export function simTrainerModule(ctx: Pick<AppContext, 'codec' | 'clock' | 'settings'>): TrainerModule {
  const s = ctx.settings;
  const sim = requireSim(s, 'the trainer app (a simulated trainer)');
  const stream = simStreamOf(sim, s.arms, s.seed);
  const trainer = new SimTrainer(sim.config.trainer, s.seed);
  return {
    batches: sim.config.batches,
    async batch(t) {
      const b = stream.generateBatch(t);
      const gold = new Map(b.prompts.flatMap((p) => p.pairs.map((x) => [x.pairId, x.goldA] as const)));
      return {
        generations: await generationRecords(ctx, b),
        promptIds: b.prompts.map((p) => p.promptId),
        pairs: b.prompts.reduce((n, p) => n + p.pairs.length, 0),
        feedback(pairId, chosen) {
          const goldA = gold.get(pairId);
          if (goldA === undefined) return undefined;
          const correct = (chosen === 'A') === goldA;
          return { loss: trainer.loss(pairId, correct), correct };
        },
      };
    },
  };
}
