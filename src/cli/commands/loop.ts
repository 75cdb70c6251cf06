/**
 * The stream loop's commands and their flags: `loop init`, `topics create`, `run <app>` and `start`.
 * The work is in ../actions/loop.ts, loaded by the actions only. The commands that talk to Kafka
 * (`topics create`, `run`, `start`) take the Kafka security flags (src/security/cli.ts).
 */
import type { Command } from 'commander';
import { defaultEncoderDir } from '../../encoder/fetch.ts';
import { defaultPool } from '../../sim/pool.ts';
import { addKafkaSecurityOptions } from '../../security/cli.ts';
import type { InitOptions, RunOptions, StartOptions } from '../actions/loop.ts';
import { list, nonNegative, parsePositiveInt, parseShadowFraction, scenarioChoices } from '../options.ts';

const actions = () => import('../actions/loop.ts');

export function registerLoopCommands(program: Command): void {
  const loop = program.command('loop').description('the streaming loop: configuration');
  loop
    .command('init')
    .description('train a prior on the simulated offline data and write loop.json (+ prior.json beside it)')
    .requiredOption('--out <path>', 'the config file to write')
    .option('--seed <n>', 'seed', nonNegative, 1)
    .option('--run <id>', 'training run id (default loop/<scenario>/seed-<seed>)')
    .option('--prefix <p>', 'topic prefix', 'rr.')
    .option('--scenario <name>', scenarioChoices, 'stationary')
    .option('--batches <n>', 'batches the trainer runs', parsePositiveInt, 20)
    .option('--d <n>', 'router dimension', parsePositiveInt, 64)
    .option('--models <list>', 'RMs, comma-separated', list, defaultPool)
    .option('--epochs <n>', 'offline training epochs', parsePositiveInt)
    .option('--text', 'text mode: the prior is trained on the text demo data with the encoder, loop.json names the encoder')
    .option('--encoder <dir>', `text mode with this encoder model directory (default ${defaultEncoderDir()})`)
    .option(
      '--shadow-fraction <f>',
      'shadow scoring: this fraction of pairs (0 ≤ f ≤ 1) is also scored by every other RM, audit only (docs/replay.md)',
      parseShadowFraction,
    )
    .action(async (o: InitOptions) => {
      await (await actions()).initCommand(o);
    });

  addKafkaSecurityOptions(
    program
      .command('topics')
      .description('topic administration')
      .command('create')
      .description('create every topic of the loop (partitions, compaction, configs) and print the plan')
      .requiredOption('--config <path>', 'loop.json')
      .requiredOption('--brokers <list>', 'Kafka brokers, e.g. 127.0.0.1:9092'),
  ).action(async (o: { config: string; brokers: string }) => {
    await (await actions()).topicsCreateCommand(o);
  });

  addKafkaSecurityOptions(
    program
      .command('run <app>')
      .description(
        'run one app (router, scorer:<rm>, labeler, trainer, aggregator, store) as its own process on Kafka, ' +
          'supervised: it rides out broker outages up to --outage-limit-ms, exits 0 on SIGTERM/SIGINT, non-zero when it gives up',
      )
      .requiredOption('--config <path>', 'loop.json')
      .requiredOption('--brokers <list>', 'Kafka brokers')
      .option('--rm <id>', 'the RM of a scorer (required for `run scorer`; or name it in the app: scorer:<rm>)')
      .option('--batches <n>', 'batches (trainer)', parsePositiveInt)
      .option('--delay-ms <n>', 'simulated scoring time per request (scorer)', nonNegative)
      .option('--instance <id>', 'router instance id, names its posterior replica group (default: <hostname>-<pid>)')
      .option(
        '--outage-limit-ms <n>',
        'longest broker outage ridden out (env RR_OUTAGE_LIMIT_MS; default: loop.json reliability.outageLimitMs)',
        parsePositiveInt,
      )
      .option(
        '--session-timeout-ms <n>',
        'consumer session timeout (env RR_SESSION_TIMEOUT_MS; default: loop.json reliability.sessionTimeoutMs)',
        parsePositiveInt,
      )
      .option(
        '--schema-registry <url>',
        'Confluent schema registry: Confluent wire format instead of Avro single-object encoding (env SCHEMA_REGISTRY_URL)',
      )
      .option('--health-port <n>', 'serve /healthz, /readyz and /metrics on this port (env RR_HEALTH_PORT; default: 0 = off)', nonNegative)
      .option('--ready-max-lag <n>', 'largest consumer lag per partition that /readyz still counts as caught up', nonNegative, 1000),
  ).action(async (app: string, o: RunOptions) => {
    process.exit(await (await actions()).runCommand(app, o));
  });

  addKafkaSecurityOptions(
    program
      .command('start')
      .description('the whole loop in one process: the in-process bus by default, Kafka with --brokers')
      .option('--batches <n>', 'batches', parsePositiveInt, 200)
      .option('--seed <n>', 'seed', nonNegative, 1)
      .option('--scenario <name>', scenarioChoices, 'stationary')
      .option('--d <n>', 'router dimension', parsePositiveInt, 64)
      .option('--epochs <n>', 'offline training epochs for the on-the-fly prior', parsePositiveInt)
      .option('--config <path>', 'a loop.json instead of the defaults')
      .option('--prefix <p>', 'topic prefix, without --config (default: rr. in-process, rr-<epoch ms>. on Kafka)')
      .option('--brokers <list>', 'run on Kafka instead of the in-process bus')
      .option(
        '--schema-registry <url>',
        'Confluent schema registry: Confluent wire format instead of Avro single-object encoding (env SCHEMA_REGISTRY_URL)',
      )
      .option(
        '--text',
        'text mode: the trainer sends prompts and responses without vectors; the router embeds them (needs `npm run setup:encoder`)',
      )
      .option('--encoder <dir>', `text mode with this encoder model directory (default ${defaultEncoderDir()})`)
      .option('--prior <file>', 'text mode: a prior from `offline train` on text (default: trained on the text demo data first)')
      .option(
        '--shadow-fraction <f>',
        'shadow scoring: this fraction of pairs (0 ≤ f ≤ 1) is also scored by every other RM, audit only (overrides loop.json)',
        parseShadowFraction,
      ),
  ).action(async (o: StartOptions) => {
    await (await actions()).startCommand(o);
  });
}
