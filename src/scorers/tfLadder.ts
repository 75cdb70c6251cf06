/**
 * The tfjs backend ladder of the scorer: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node,
 * then the wasm backend, then the plain cpu backend. `climbLadder` is the choice (the probe is
 * injected, so the tests can say which rungs exist); `realProbe` loads the real packages. Neither
 * native package is a dependency: `npm run setup:tfjs-node` builds one (scripts/setup-tfjs-node.sh).
 */
import { loadBackend, type Tf } from '../offline/backend.ts';

export type Rung = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export type TfPreference = 'auto' | 'wasm' | 'cpu';
export const ladder: readonly Rung[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/** Loads one rung: a ready tfjs on it, or null (or a throw) when it is not there. */
export type RungProbe = (rung: Rung) => Promise<Tf | null>;

export interface Climbed {
  tf: Tf;
  rung: Rung;
  /** Why each higher rung was skipped. */
  notes: string[];
}

export async function climbLadder(probe: RungProbe, pref: TfPreference = 'auto'): Promise<Climbed> {
  const rungs = ladder.slice(pref === 'auto' ? 0 : pref === 'wasm' ? 2 : 3);
  const notes: string[] = [];
  for (const rung of rungs) {
    try {
      const tf = await probe(rung);
      if (tf !== null) return { tf, rung, notes };
      notes.push(`${rung}: not available`);
    } catch (e) {
      notes.push(`${rung}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no tfjs backend could start (${notes.join('; ')})`);
}

/** The real rungs. A native package that is not installed is an expected, quiet skip. */
export const realProbe: RungProbe = async (rung) => {
  if (rung === 'tfjs-node-gpu' || rung === 'tfjs-node') {
    const spec = `@tensorflow/${rung}`;
    try {
      const mod = (await import(spec)) as Tf & { default?: Tf };
      const tf = (mod.default ?? mod) as Tf;
      await tf.ready();
      return tf.getBackend() === 'tensorflow' ? tf : null;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
      throw e;
    }
  }
  const loaded = await loadBackend(rung);
  return loaded.name === rung ? loaded.tf : null;
};
