/**
 * `reward-router offline train`: its flags. The training (tfjs, the encoder for text data) is
 * loaded by the action only (../actions/offline.ts).
 */
import type { Command } from 'commander';
import { defaultEncoderDir } from '../../encoder/fetch.ts';
import { offlineDefaults } from '../../offline/index.ts';
import type { OfflineCommandIo, RawOptions } from '../actions/offline.ts';

export type { OfflineCommandIo } from '../actions/offline.ts';

export function registerOfflineCommand(program: Command, io: OfflineCommandIo = process): Command {
  const offline = program.command('offline').description('offline stage: learn the router prior from labelled pair embeddings');
  offline
    .command('train')
    .description('train RM embeddings (and the projection head) with a Bradley-Terry loss; write the prior file')
    .requiredOption(
      '--data <file>',
      'training data, JSONL (docs/formats.md): pair embeddings, or text (prompt, responseA, responseB) that is embedded with the encoder',
    )
    .requiredOption('--out <file>', 'where to write the prior (JSON)')
    .option('--d <n>', `router width d (default ${offlineDefaults.d})`)
    .option('--epochs <n>', `training epochs (default ${offlineDefaults.epochs})`)
    .option('--lr <x>', `Adam learning rate (default ${offlineDefaults.lr})`)
    .option('--batch-size <n>', `examples per step (default ${offlineDefaults.batchSize})`)
    .option('--seed <n>', `seed for split, balancing, init and shuffling (default ${offlineDefaults.seed})`)
    .option('--holdout <x>', `held-out share in [0, 1) (default ${offlineDefaults.holdout})`)
    .option('--loss-weights <bt,cls,reg>', 'weights of the BT loss, BCE head, L1 head (default 1,0,0)')
    .option('--projection', 'use the projection head even when the input width equals d')
    .option('--balance', "run the authors' balancing step on the ranking pairs (default off; see docs/results.md)")
    .option('--backend <name>', 'auto | wasm | cpu (default auto: tfjs-node-gpu, tfjs-node, wasm, cpu)')
    .option('--encoder <dir>', `text data: the encoder's model directory (default ${defaultEncoderDir()})`)
    .option('--json', 'print one JSON object instead of the table')
    .option('--verbose', 'print the mean loss of each epoch on stderr')
    .action(async (raw: RawOptions) => {
      await (await import('../actions/offline.ts')).offlineTrain(raw, io);
    });
  return offline;
}
