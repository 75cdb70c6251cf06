/**
 * `reward-router sim`: the simulator's data sets (offline JSONL, text demo data, recorded verdicts;
 * docs/formats.md). The flags here; the simulator is loaded by the actions (../actions/sim.ts).
 */
import type { Command } from 'commander';
import { defaultPool } from '../../sim/pool.ts';
import type { OfflineDataOptions, TextDataOptions, VerdictsOptions } from '../actions/sim.ts';
import { defaultProfilesPath, list, parsePositiveInt, scenarioChoices } from '../options.ts';

const actions = () => import('../actions/sim.ts');

export function registerSimCommand(program: Command): Command {
  const sim = program.command('sim').description('the simulator (synthetic data for demos, tests and benchmarks)');
  sim
    .command('offline-data')
    .description('write simulated offline training data (pair embeddings + per-RM correctness) as JSONL')
    .requiredOption('--out <file>', 'output JSONL path')
    .option('--profiles <file>', 'RM pool profile file', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names', list, defaultPool)
    .option('--seed <n>', 'seed (use the same seed for eval to share the world)', parsePositiveInt, 1)
    .option('--examples <n>', 'number of examples', parsePositiveInt, 6000)
    .option('--d <n>', 'embedding width', parsePositiveInt, 64)
    .action(async (o: OfflineDataOptions) => {
      (await actions()).simOfflineData(o);
    });
  sim
    .command('text-data')
    .description('write the text demo data set (prompt, responses, per-RM correctness) as JSONL, for `offline train`')
    .requiredOption('--out <file>', 'output JSONL path')
    .option('--profiles <file>', 'RM pool profile file', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names', list, defaultPool)
    .option('--seed <n>', 'seed (use the same seed for `start --text`)', parsePositiveInt, 1)
    .option('--examples <n>', 'number of examples', parsePositiveInt, 2000)
    .action(async (o: TextDataOptions) => {
      (await actions()).simTextData(o);
    });
  sim
    .command('verdicts')
    .description("write the simulator's online stream as recorded RM verdicts (JSONL for eval --stream)")
    .requiredOption('--out <file>', 'output JSONL path')
    .option('--profiles <file>', 'RM pool profile file', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names', list, defaultPool)
    .option('--scenario <name>', `simulator scenario: ${scenarioChoices}`, 'stationary')
    .option('--seed <n>', 'seed', parsePositiveInt, 1)
    .option('--batches <n>', 'batches', parsePositiveInt, 200)
    .option('--d <n>', 'embedding width', parsePositiveInt, 64)
    .action(async (o: VerdictsOptions) => {
      (await actions()).simVerdicts(o);
    });
  return sim;
}
