/** `reward-router rm serve`: the tfjs reward model behind HTTP (OpenRLHF and TEI protocols), for demos. */
import type { Command } from 'commander';
import { packagePath } from '../../paths.ts';
import type { TfPreference } from '../../scorers/tfLadder.ts';

/** The demo reward model shipped with the package (data/tfjs-rm). */
export const demoModelDir = packagePath('data', 'tfjs-rm');

export function registerRmCommand(program: Command): void {
  const rm = program.command('rm').description('reward models');
  rm.command('serve')
    .description('serve a tfjs reward model over HTTP: POST /predict (TEI) or any other path (OpenRLHF remote RM)')
    .option('--model <dir>', 'tfjs model directory', demoModelDir)
    .option('--port <n>', 'port (0 = any free one)', '5000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--backend <auto|wasm|cpu>', 'tfjs backend preference', 'auto')
    .action(async (o: { model: string; port: string; host: string; backend: TfPreference }) => {
      // tfjs and the HTTP server load here, not for `--help`.
      const [{ serveRewardModel }, { tfjsBackend }] = await Promise.all([
        import('../../scorers/serve.ts'),
        import('../../scorers/tfjs.ts'),
      ]);
      const clock = { now: () => performance.now() };
      const model = await tfjsBackend({ modelDir: o.model, tfBackend: o.backend, maxBatch: 512, clock });
      const s = await serveRewardModel(model, { port: Number(o.port), host: o.host });
      process.stdout.write(`serving ${model.modelVersion} on ${s.url} (tfjs ${model.rung}, warm-up ${model.warmupMs.toFixed(0)} ms)\n`);
      const stop = (): void => {
        void s.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
