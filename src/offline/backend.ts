/**
 * Loads tfjs for offline training. Preference order:
 *   1. `@tensorflow/tfjs-node-gpu` (optional peer; its install needs libtensorflow from Google's
 *      storage, so it is usually absent: the failed import is expected and silent),
 *   2. `@tensorflow/tfjs-node` (optional peer, native CPU),
 *   3. `@tensorflow/tfjs` + `@tensorflow/tfjs-backend-wasm` (always installed; SIMD, ≈5× the plain
 *      `cpu` backend on this project's machines, see docs/runtime.md),
 *   4. `@tensorflow/tfjs` on its `cpu` backend, if wasm cannot start.
 */

import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');

export type BackendPreference = 'auto' | 'wasm' | 'cpu';

export interface LoadedBackend {
  tf: Tf;
  /** `tf.getBackend()` after setup: 'tensorflow' (tfjs-node[-gpu]), 'wasm' or 'cpu'. */
  name: string;
  /** Why a preferred backend was skipped, for the report (empty when the first choice worked). */
  notes: string[];
}

let cached: Promise<LoadedBackend> | undefined;
let cachedPref: BackendPreference | undefined;

async function tryNative(spec: string, notes: string[]): Promise<LoadedBackend | null> {
  try {
    // A variable specifier keeps TypeScript from resolving the (usually absent) optional peer.
    const mod = (await import(spec)) as Tf & { default?: Tf };
    const tf = (mod.default ?? mod) as Tf;
    await tf.ready();
    return { tf, name: tf.getBackend(), notes };
  } catch (err) {
    const e = err as Error & { code?: string };
    notes.push(e.code === 'ERR_MODULE_NOT_FOUND' ? `${spec} not installed` : `${spec} failed to load: ${e.message.split('\n')[0]}`);
    return null;
  }
}

async function loadWasmOrCpu(pref: BackendPreference, notes: string[]): Promise<LoadedBackend> {
  const tf = await import('@tensorflow/tfjs');
  if (pref !== 'cpu') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from disk: point tfjs at the package's dist directory,
      // found through Node's resolver so it works wherever node_modules is. A plain directory path
      // with a trailing separator is what the Node build of the backend expects (it uses fs, not fetch).
      const require = createRequire(import.meta.url);
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep;
      wasm.setWasmPaths(dist);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        if (tf.getBackend() === 'wasm') return { tf, name: 'wasm', notes };
      }
      notes.push('wasm backend did not initialize');
    } catch (err) {
      notes.push(`wasm backend failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, name: tf.getBackend(), notes };
}

/**
 * Returns a ready tfjs and the backend actually in use. Cached per process: tfjs is a global
 * singleton, so loading it twice would only re-run setup.
 */
export function loadBackend(pref: BackendPreference = 'auto'): Promise<LoadedBackend> {
  if (cached !== undefined && cachedPref === pref) return cached;
  cachedPref = pref;
  cached = (async () => {
    const notes: string[] = [];
    if (pref === 'auto') {
      for (const spec of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
        const native = await tryNative(spec, notes);
        if (native !== null) return native;
      }
    }
    return loadWasmOrCpu(pref, notes);
  })();
  return cached;
}
