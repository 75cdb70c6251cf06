/**
 * `reward-router eval`: its flags. The work (the simulator, the methods, the report) is loaded by
 * the action only (../actions/eval.ts), so `--help` stays fast.
 */
import type { Command } from 'commander';
import { defaultPosteriorConfig } from '../../core/posterior.ts';
import { defaultPool } from '../../sim/pool.ts';
import type { EvalCliOptions } from '../actions/eval.ts';
import { choice, defaultProfilesPath, intList, list, parsePositiveInt, scenarioChoices } from '../options.ts';

export function registerEvalCommand(program: Command): Command {
  return program
    .command('eval')
    .description('run every routing method on the same simulated online-DPO stream and compare routed-label accuracy')
    .option('--profiles <file>', 'RM pool profile file (best-of-4 or pairwise accuracies per category)', defaultProfilesPath())
    .option('--models <list>', 'comma-separated RM names from the profile file', list, defaultPool)
    .option('--scenario <name>', `${scenarioChoices} | all (comma-separated list accepted)`, 'all')
    .option('--seeds <n>', 'number of seeds', parsePositiveInt, 5)
    .option('--first-seed <n>', 'first seed', parsePositiveInt, 1)
    .option('--batches <n>', 'batches per run', parsePositiveInt, 200)
    .option('--horizons <list>', 'report the first N batches too (comma-separated)', intList, [30])
    .option('--d <n>', 'router dimension', parsePositiveInt, 64)
    .option('--lambda0 <x>', 'prior precision λ0', Number, defaultPosteriorConfig.lambda0)
    .option('--lag <n>', 'route batch t with feedback of batches ≤ t − lag', parsePositiveInt, 1)
    .option('--prior <file>', 'use this prior file instead of training one per seed (required with --stream)')
    .option('--offline-epochs <n>', 'epochs of the offline training', parsePositiveInt)
    .option('--offline-balance', 'run the balancing step in the offline training (default off; see docs/results.md)')
    .option(
      '--offline-balance-rule <rule>',
      "authors (their published rule) | paths (this project's earlier rule)",
      choice(['authors', 'paths']),
      'authors',
    )
    .option(
      '--offline-bt-average <how>',
      "BT loss average: example (the authors': per example, then over the batch) | pair",
      choice(['example', 'pair']),
      'example',
    )
    .option(
      '--keep <rule>',
      "kept pairs per prompt: random (the authors': a seeded draw among the decisive ones) | first (in pair order)",
      choice(['random', 'first']),
      'random',
    )
    .option(
      '--methods <list>',
      'only these methods (bayesian-router, bayesian-router-calibrated, laser, laser-authors, laser-authors-batch, random, offline-only, online-only, majority-vote, mean-ensemble, oracle, fixed; also the calibration variants of docs/calibration.md)',
      list,
    )
    .option('--report <file>', 'HTML report path', 'reports/eval.html')
    .option(
      '--stream <file>',
      'recorded RM verdicts (JSONL, one pair per line; see docs/simulator.md) as the online stream instead of the simulator; needs --prior',
    )
    .option('--stream-batch <n>', 'pairs per batch for a --stream file without "batch" fields', parsePositiveInt, 480)
    .option('--traces-out <file>', 'also write every per-batch count of every method and seed (JSON)')
    .option('--json', 'print one JSON object instead of tables', false)
    .option('--no-progress', 'no progress bar')
    .action(async (opts: EvalCliOptions) => {
      await (await import('../actions/eval.ts')).evalCommand(opts);
    });
}
