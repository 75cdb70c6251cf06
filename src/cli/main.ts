/**
 * The `reward-router` command. Each subcommand lives in commands/; errors the
 * project throws on purpose (RouterError) print as one line with their code and
 * field, and exit 2; anything else is a bug and prints its stack.
 */
import { Command } from 'commander';
import { isRouterError } from '../core/errors.ts';
import { registerEncoderCommand } from './commands/encoder.ts';
import { registerEvalCommand } from './commands/eval.ts';
import { registerLoopCommands } from './commands/loop.ts';
import { registerOfflineCommand } from './commands/offline.ts';
import { registerReplayCommands } from './commands/replay.ts';
import { registerRmCommand } from './commands/rm.ts';
import { registerSimCommand } from './commands/sim.ts';
import { addKafkaSecurityOptions, kafkaClientSecurity } from '../security/cli.ts';
import { explainKafkaError } from '../security/errors.ts';

const program = new Command('reward-router')
  .description('Per-pair reward-model routing (BayesianRouter) for online RLHF/RLAIF')
  .showHelpAfterError();
// SASL/TLS flags of every command that talks to Kafka (env KAFKA_SASL_* / KAFKA_SSL_* too).
addKafkaSecurityOptions(program);

registerEvalCommand(program);
registerOfflineCommand(program);
registerSimCommand(program);
registerEncoderCommand(program);
registerRmCommand(program);
// `start` (the whole loop), `loop init`, `topics create`, `run <app>`.
registerLoopCommands(program);
// `replay` and `trace` (issue 8).
registerReplayCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (caught) {
  const err = explainKafkaError(caught, kafkaClientSecurity());
  if (isRouterError(err)) {
    process.stderr.write(`reward-router: ${err.code}${err.field ? ` (${err.field})` : ''}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
