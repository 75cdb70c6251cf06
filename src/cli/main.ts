/**
 * The `reward-router` command. Each subcommand's flags are registered from commands/, which load
 * nothing heavy; its work is in actions/, imported by the action when the command runs, so that
 * `--help` starts fast. Errors the project throws on purpose (RouterError) print as one line with
 * their code and field, and exit 2; anything else is a bug and prints its stack.
 */
import { Command } from 'commander';
import { isRouterError } from '../core/errors.ts';
import { kafkaClientSecurity, kafkaSecurityFlags } from '../security/cli.ts';
import { registerEncoderCommand } from './commands/encoder.ts';
import { registerEvalCommand } from './commands/eval.ts';
import { registerLoopCommands } from './commands/loop.ts';
import { registerOfflineCommand } from './commands/offline.ts';
import { registerReplayCommands } from './commands/replay.ts';
import { registerRmCommand } from './commands/rm.ts';
import { registerSimCommand } from './commands/sim.ts';
import { configureHelp } from './help.ts';

const program = new Command('reward-router')
  .description('Per-pair reward-model routing (BayesianRouter) for online RLHF/RLAIF')
  .showHelpAfterError();
configureHelp(program);

/**
 * bin/reward-router.mjs catches SIGTERM/SIGINT from the first line of the process and remembers one
 * that comes while the CLI loads (absent when main.ts runs without it). `run` takes the signals over
 * itself, once its own handlers are installed (actions/loop.ts); every other command hands them back
 * as its action starts: a remembered signal exits 0 there (nothing has started), otherwise the
 * signals get their default again.
 */
const earlySignals = (globalThis as { [key: symbol]: { handOver(): void } | undefined })[Symbol.for('reward-router.early-signals')];
program.hook('preAction', (_program, action) => {
  if (!(action.name() === 'run' && action.parent === program)) earlySignals?.handOver();
});

registerEvalCommand(program);
registerOfflineCommand(program);
registerSimCommand(program);
registerEncoderCommand(program);
registerRmCommand(program);
// `start` (the whole loop), `loop init`, `topics create`, `run <app>`.
registerLoopCommands(program);
// `replay` and `trace` (issue 8).
registerReplayCommands(program);

program.addHelpText(
  'after',
  `
Kafka: start (with --brokers), run, topics create, replay and trace talk to Kafka. They take
the SASL/TLS flags (or the env KAFKA_SSL_* / KAFKA_SASL_*; there is no password flag):
  ${kafkaSecurityFlags.slice(0, 3).join(', ')},
  ${kafkaSecurityFlags.slice(3, 6).join(', ')},
  ${kafkaSecurityFlags.slice(6).join(', ')}
See \`reward-router <command> --help\`.`,
);

try {
  await program.parseAsync(process.argv);
} catch (caught) {
  const { explainKafkaError } = await import('../security/errors.ts');
  const err = explainKafkaError(caught, kafkaClientSecurity());
  if (isRouterError(err)) {
    process.stderr.write(`reward-router: ${err.code}${err.field ? ` (${err.field})` : ''}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
