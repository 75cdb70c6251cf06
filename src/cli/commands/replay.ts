/**
 * `reward-router replay` and `reward-router trace <pair-id>`: their flags, with the Kafka security
 * flags (both read a run from Kafka). The work is in ../actions/replay.ts, loaded by the actions only.
 */
import type { Command } from 'commander';
import { addKafkaSecurityOptions } from '../../security/cli.ts';
import type { ReplayCli } from '../actions/replay.ts';
import { parsePositiveInt } from '../options.ts';

const actions = () => import('../actions/replay.ts');

export function registerReplayCommands(program: Command): void {
  addKafkaSecurityOptions(
    program
      .command('replay')
      .description(
        "re-run a recorded run's batches into a fresh namespace with the recorded seed and scores; compare every decision (exit 1 on divergence)",
      )
      .requiredOption('--config <path>', "the recorded run's loop.json (prior, seed, run, settings)")
      .requiredOption('--namespace <prefix>', "the recorded run's topic prefix (only read)")
      .requiredOption('--into <prefix>', 'a fresh topic prefix the replay writes to')
      .option('--batches <a..b>', 'batch range, inclusive (default: the whole recorded run)')
      .option('--brokers <list>', 'Kafka brokers holding the recorded run (required unless --record)')
      .option('--record <n>', 'no Kafka: record n batches in-process into --namespace first, then replay them', parsePositiveInt)
      .option(
        '--what-if <key=value...>',
        'simulated runs: the whole run again with other settings (lambda0, sigma2, lag, window, tieEps; method=bayesian-router|linucb, alpha), compared side by side; ' +
          "on a run recorded with shadow scoring, both methods' picks on the shadow pairs vs the pool's consensus, the recorded label and gold",
      )
      .option('--json', 'the comparison as JSON'),
  ).action(async (o: ReplayCli) => {
    await (await actions()).replayCommand(o);
  });

  addKafkaSecurityOptions(
    program
      .command('trace <pair-id>')
      .description(
        "one pair's whole path from the topics: decision, scores (and a shadow pair's audit scores), label, loss, reward, absorbing posterior version",
      )
      .requiredOption('--namespace <prefix>', "the run's topic prefix")
      .requiredOption('--brokers <list>', 'Kafka brokers')
      .option('--json', 'JSON for machines'),
  ).action(async (pairId: string, o: { namespace: string; brokers: string; json?: boolean }) => {
    await (await actions()).traceCommand(pairId, o);
  });
}
