/**
 * One stream app of the pipeline bench in a process of its own (`--processes`), as deployed
 * (`reward-router run <app>`): node --import tsx bench/pipeline-app.ts <router|labeler|scorer> <prefix> <brokers> <batches> [rm]
 * Prints `ready` once the app has joined its group; closes the app when stdin ends.
 */
import { SingleObjectCodec } from '../src/avro/codec.ts';
import type { AppContext, AppHandle } from '../streams/runtime/context.ts';
import { startLabelerApp } from '../streams/labeler/labeler.ts';
import { startRouterApp } from '../streams/router/router.ts';
import { startScorerApp } from '../streams/scorer/scorer.ts';
import { quietLog } from '../test/unit/streams-fixtures.ts';
import { benchBus, settingsFor } from './pipeline-setup.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const [app, prefix, brokers, batches, rm] = process.argv.slice(2);
const bus = benchBus(brokers!.split(','), `${prefix}${app}${rm ?? ''}`);
const ctx: AppContext = {
  bus,
  codec: new SingleObjectCodec(),
  clock: { now: () => Date.now() },
  log: quietLog,
  settings: settingsFor(prefix!, Number(batches)),
};
const handle: AppHandle =
  app === 'router' ? await startRouterApp(ctx) : app === 'labeler' ? await startLabelerApp(ctx) : await startScorerApp(ctx, { rm });
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void handle
    .close()
    .then(() => bus.close())
    .then(() => process.exit(0));
});
