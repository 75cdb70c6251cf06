/** `reward-router sim`: write the simulator's data sets (offline JSONL, text demo data, recorded verdicts; docs/formats.md). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { verdictLineOf } from '../../eval/verdicts.ts';
import { createOnlineStream } from '../../sim/stream.ts';
import { generateOfflineData } from '../../sim/offline.ts';
import { generateTextData } from '../../sim/textData.ts';
import { buildWorld } from '../../sim/world.ts';
import { writeOfflineJsonl } from '../../sim/offlineFile.ts';
import { selectModels } from '../../sim/profiles.ts';
import { loadProfilesFile } from '../../sim/profilesFile.ts';
import { scenarioConfig } from '../../sim/scenarios.ts';
import { defaultPool } from '../../sim/pool.ts';
import { defaultProfilesPath, list, parsePositiveInt } from '../options.ts';

export function registerSimCommand(program: Command): Command {
  const sim = program.command('sim').description('the simulator (synthetic data for demos, tests and benchmarks)');
  sim.command('offline-data')
    .description('write simulated offline training data (pair embeddings + per-RM correctness) as JSONL')
    .requiredOption('--out <file>', 'output JSONL path')
    .option('--profiles <file>', 'RM pool profile file', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names', list, defaultPool)
    .option('--seed <n>', 'seed (use the same seed for eval to share the world)', parsePositiveInt, 1)
    .option('--examples <n>', 'number of examples', parsePositiveInt, 6000)
    .option('--d <n>', 'embedding width', parsePositiveInt, 64)
    .action((o: { out: string; profiles: string; models: string[]; seed: number; examples: number; d: number }) => {
      const pool = selectModels(loadProfilesFile(o.profiles), o.models);
      const examples = generateOfflineData(pool, scenarioConfig('stationary', { d: o.d, offlineExamples: o.examples, seed: o.seed }), o.seed);
      writeOfflineJsonl(o.out, examples);
      process.stdout.write(`wrote ${examples.length} examples for ${pool.models.length} RMs to ${o.out}\n`);
    });
  sim.command('text-data')
    .description('write the text demo data set (prompt, responses, per-RM correctness) as JSONL, for `offline train`')
    .requiredOption('--out <file>', 'output JSONL path')
    .option('--profiles <file>', 'RM pool profile file', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names', list, defaultPool)
    .option('--seed <n>', 'seed (use the same seed for `start --text`)', parsePositiveInt, 1)
    .option('--examples <n>', 'number of examples', parsePositiveInt, 2000)
    .action((o: { out: string; profiles: string; models: string[]; seed: number; examples: number }) => {
      const pool = selectModels(loadProfilesFile(o.profiles), o.models);
      const lines = generateTextData(buildWorld(pool, scenarioConfig('stationary', { offlineExamples: o.examples, seed: o.seed }), o.seed));
      writeFileSync(o.out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'utf8');
      process.stdout.write(`wrote ${lines.length} text examples for ${pool.models.length} RMs to ${o.out}\n`);
    });
  sim.command('verdicts')
    .description("write the simulator's online stream as recorded RM verdicts (JSONL for eval --stream)")
    .requiredOption('--out <file>', 'output JSONL path')
    .option('--profiles <file>', 'RM pool profile file', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names', list, defaultPool)
    .option('--scenario <name>', 'simulator scenario', 'stationary')
    .option('--seed <n>', 'seed', parsePositiveInt, 1)
    .option('--batches <n>', 'batches', parsePositiveInt, 200)
    .option('--d <n>', 'embedding width', parsePositiveInt, 64)
    .action((o: { out: string; profiles: string; models: string[]; scenario: string; seed: number; batches: number; d: number }) => {
      const pool = selectModels(loadProfilesFile(o.profiles), o.models);
      const stream = createOnlineStream(pool, scenarioConfig(o.scenario, { d: o.d, batches: o.batches, seed: o.seed }), o.seed);
      const lines: string[] = [];
      for (let t = 0; t < o.batches; t++) {
        for (const p of stream.generateBatch(t).prompts) for (const pair of p.pairs) lines.push(verdictLineOf(t, p, pair, pool.models));
      }
      writeFileSync(o.out, lines.join('\n') + '\n');
      process.stdout.write(`wrote ${lines.length} verdict lines (${o.batches} batches, ${pool.models.length} RMs) to ${o.out}\n`);
    });
  return sim;
}
