// The tfjs backend on tfjs-node, for real: runs only when `npm run setup:tfjs-node` has built
// @tensorflow/tfjs-node in node_modules (it is opt-in, never part of `npm ci` or CI), and is
// skipped with that instruction otherwise. Its own file: tfjs is a process-wide singleton.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { tfjsBackend } from '../../src/scorers/tfjs.ts';
import { rmPreferenceData } from '../../src/scorers/rmData.ts';

const DEMO = new URL('../../data/tfjs-rm/', import.meta.url).pathname;

function nativeBuilt(): string | null {
  try {
    const require = createRequire(import.meta.url);
    require('@tensorflow/tfjs-node');
    return null;
  } catch (e) {
    return (e as { code?: string }).code === 'MODULE_NOT_FOUND'
      ? '@tensorflow/tfjs-node is not installed: run `npm run setup:tfjs-node` (opt-in: ≈ 214 MB download once, a 2–3 min build on 2 cores) to run this test'
      : `@tensorflow/tfjs-node does not load (${(e as Error).message.split('\n')[0]}): run \`npm run setup:tfjs-node\` again`;
  }
}

const skip = nativeBuilt();
if (skip !== null) process.stderr.write(`SKIP scorers-tfjs-node: ${skip}\n`);

describe('tfjs backend on tfjs-node (opt-in build)', () => {
  it("the ladder picks tfjs-node; its rewards equal wasm's for the same model to float32 rounding", { skip: skip ?? false }, async () => {
    const clock = { now: () => 0 };
    const items = rmPreferenceData(64, 3, 'held-out').flatMap((p) => [
      { prompt: p.prompt, response: p.chosen },
      { prompt: p.prompt, response: p.rejected },
    ]);
    const native = await tfjsBackend({ modelDir: DEMO, tfBackend: 'auto', maxBatch: 128, clock });
    assert.equal(native.rung, 'tfjs-node');
    const onNative = await native.rewards(items);
    await native.close?.();
    const wasm = await tfjsBackend({ modelDir: DEMO, tfBackend: 'wasm', maxBatch: 128, clock });
    assert.equal(wasm.rung, 'wasm');
    const onWasm = await wasm.rewards(items);
    onNative.forEach((r, i) => assert.ok(Math.abs(r - onWasm[i]!) <= 1e-5 * Math.max(1, Math.abs(r)), `item ${i}: ${r} vs ${onWasm[i]}`));
  });
});
