/** `reward-router sim`'s work: the simulator's data sets (offline JSONL, text demo data, recorded verdicts; docs/formats.md). */
import { writeFileSync } from 'node:fs';
import { verdictLineOf } from '../../eval/verdicts.ts';
import { createOnlineStream } from '../../sim/stream.ts';
import { generateOfflineData } from '../../sim/offline.ts';
import { generateTextData } from '../../sim/textData.ts';
import { buildWorld } from '../../sim/world.ts';
import { writeOfflineJsonl } from '../../sim/offlineFile.ts';
import { selectModels } from '../../sim/profiles.ts';
import { loadProfilesFile } from '../../sim/profilesFile.ts';
import { scenarioConfig } from '../../sim/scenarios.ts';

export interface OfflineDataOptions {
  out: string;
  profiles: string;
  models: string[];
  seed: number;
  examples: number;
  d: number;
}
export interface TextDataOptions {
  out: string;
  profiles: string;
  models: string[];
  seed: number;
  examples: number;
}
export interface VerdictsOptions {
  out: string;
  profiles: string;
  models: string[];
  scenario: string;
  seed: number;
  batches: number;
  d: number;
}

export function simOfflineData(o: OfflineDataOptions): void {
  const pool = selectModels(loadProfilesFile(o.profiles), o.models);
  const examples = generateOfflineData(pool, scenarioConfig('stationary', { d: o.d, offlineExamples: o.examples, seed: o.seed }), o.seed);
  writeOfflineJsonl(o.out, examples);
  process.stdout.write(`wrote ${examples.length} examples for ${pool.models.length} RMs to ${o.out}\n`);
}

export function simTextData(o: TextDataOptions): void {
  const pool = selectModels(loadProfilesFile(o.profiles), o.models);
  const lines = generateTextData(buildWorld(pool, scenarioConfig('stationary', { offlineExamples: o.examples, seed: o.seed }), o.seed));
  writeFileSync(o.out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'utf8');
  process.stdout.write(`wrote ${lines.length} text examples for ${pool.models.length} RMs to ${o.out}\n`);
}

export function simVerdicts(o: VerdictsOptions): void {
  const pool = selectModels(loadProfilesFile(o.profiles), o.models);
  const stream = createOnlineStream(pool, scenarioConfig(o.scenario, { d: o.d, batches: o.batches, seed: o.seed }), o.seed);
  const lines: string[] = [];
  for (let t = 0; t < o.batches; t++) {
    for (const p of stream.generateBatch(t).prompts) for (const pair of p.pairs) lines.push(verdictLineOf(t, p, pair, pool.models));
  }
  writeFileSync(o.out, lines.join('\n') + '\n');
  process.stdout.write(`wrote ${lines.length} verdict lines (${o.batches} batches, ${pool.models.length} RMs) to ${o.out}\n`);
}
