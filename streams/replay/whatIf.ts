/**
 * `reward-router replay --what-if key=value…` on a simulated run: the same batches (the simulator of
 * the recorded settings regenerates them; checked pair by pair against the recorded generations)
 * through the whole loop again with other settings, into a fresh namespace, and a side-by-side
 * comparison with the record: routed-label accuracy (simulated runs carry the gold labels),
 * selection shares, the normalized rewards and the distance between the final posterior means.
 *
 * A what-if routes pairs to RMs the record never asked, so the recorded scores and losses do not
 * cover it: on a simulated run the simulated scorers and trainer answer. On the shadow pairs of a
 * run recorded with shadow scoring, every RM's recorded verdict is known, so the two methods' picks
 * are also compared there against the pool's consensus, the recorded label and gold (shadow.ts).
 *
 * The pieces: whatIfParse.ts (the key=value items, the settings they yield), whatIfCompare.ts (the
 * simulator's truth, each side's statistics, the shadow pairs), whatIfFormat.ts (the table and the
 * JSON); this module runs them in order and re-exports what the CLI calls.
 */
import type { RecordCodec } from '../../src/avro/codec.ts';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import type { Bus, Clock } from '../../src/bus/types.ts';
import { RouterError } from '../../src/core/errors.ts';
import type { Logger, LoopSettings } from '../runtime/context.ts';
import { runLoop } from '../loop/loop.ts';
import { simStream } from '../trainer/simulated.ts';
import { readRecordedRun } from './recorded.ts';
import { compareShadowPicks } from './shadow.ts';
import { posteriorDistance, readSide, shadowPairs, simulatedTruth, type WhatIfResult } from './whatIfCompare.ts';
import { applyWhatIf, type WhatIf } from './whatIfParse.ts';

export { applyWhatIf, parseWhatIf, type WhatIf } from './whatIfParse.ts';
export type { RunSide, WhatIfResult } from './whatIfCompare.ts';
export { formatWhatIf, whatIfJson } from './whatIfFormat.ts';

export interface WhatIfOptions {
  bus: Bus;
  /** The recorded run's settings; `prefix` is the recorded namespace (only read). */
  settings: LoopSettings;
  into: string;
  whatIf: WhatIf;
  clock: Clock;
  log: Logger;
  codec?: RecordCodec;
  onProgress?: (done: number, total: number) => void;
}

export async function whatIfRun(o: WhatIfOptions): Promise<WhatIfResult> {
  const s = o.settings;
  const codec = o.codec ?? new SingleObjectCodec();
  if (o.into === s.prefix)
    throw new RouterError('RR_REPLAY', 'the what-if must write into a fresh namespace, not the recorded one', { field: 'into' });
  const rec = await readRecordedRun(o.bus, codec, s.prefix, s.run);
  const batches = rec.lastBatch + 1;
  // The simulator must regenerate exactly the recorded inputs, or this is not the same stream. Batch t
  // depends on the simulator's settings only (which no what-if key changes): its truth serves both sides.
  const truth = simulatedTruth(simStream(s), rec, batches);
  const ws = { ...applyWhatIf(s, o.whatIf), prefix: o.into };
  const summary = await runLoop({
    bus: o.bus,
    settings: ws,
    batches,
    clock: o.clock,
    log: o.log,
    codec,
    onProgress: (t) => o.onProgress?.(t + 1, batches),
  });
  const { chosen: recordedPicks, ...recorded } = await readSide(o.bus, codec, s, batches, truth);
  const { chosen: whatIfPicks, ...replayed } = await readSide(o.bus, codec, ws, batches, truth);
  if (replayed.pairs !== summary.pairs) throw new Error(`what-if: ${replayed.pairs} decisions read back, the loop routed ${summary.pairs}`);
  const distance = posteriorDistance(s.arms, recorded.snapshots, replayed.snapshots);
  const shadow = await shadowPairs(o.bus, codec, s, rec, truth, recordedPicks, whatIfPicks);
  return {
    whatIf: o.whatIf,
    batches,
    arms: [...s.arms],
    recorded,
    replayed,
    posteriorDistance: distance,
    shadow: { ...compareShadowPicks(shadow), tieEps: s.tieEps },
  };
}
