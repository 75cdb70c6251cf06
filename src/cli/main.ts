/**
 * The `reward-router` command. Each subcommand lives in commands/; errors the
 * project throws on purpose (RouterError) print as one line with their code and
 * field, and exit 2; anything else is a bug and prints its stack.
 */
import { Command } from 'commander';
import { isRouterError } from '../core/errors.ts';
import { registerEvalCommand, evalCommand } from './commands/eval.ts';
import { registerOfflineCommand } from './commands/offline.ts';
import { registerSimCommand } from './commands/sim.ts';
import { defaultProfilesPath } from './options.ts';
import { defaultEvalModels } from '../eval/run.ts';

const program = new Command('reward-router')
  .description('Per-pair reward-model routing (BayesianRouter) for online RLHF/RLAIF')
  .showHelpAfterError();

registerEvalCommand(program);
registerOfflineCommand(program);
registerSimCommand(program);

program.command('start')
  .description('the main job; until the Kafka loop lands: the simulated evaluation of every method (3 scenarios × 5 seeds × 200 batches)')
  .action(() => evalCommand({
    profiles: defaultProfilesPath(), models: defaultEvalModels, scenario: 'all', seeds: 5, firstSeed: 1, batches: 200,
    horizons: [30], d: 64, lambda0: 50, lag: 1, report: 'reports/eval.html', json: false, progress: true,
  }));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (isRouterError(err)) {
    process.stderr.write(`reward-router: ${err.code}${err.field ? ` (${err.field})` : ''}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
