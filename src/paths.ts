/**
 * Files shipped with the package (schemas/, data/), located from the package root: the nearest
 * directory above this module whose package.json is named "reward-router". The same answer
 * whether the code runs from source (src/paths.ts through tsx) or compiled (dist/src/paths.js),
 * where a fixed `new URL('../..', import.meta.url)` would point into dist/.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'reward-router';

let root: string | undefined;

/** The package root, found by walking up from `from` (default: this module). Throws if there is none. */
export function findPackageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (isPackageRoot(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json named "${PACKAGE_NAME}" above ${from}`);
  }
}

function isPackageRoot(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false; // no package.json here (or not JSON): keep walking up
  }
}

/** The package root of this process's reward-router (cached). */
export function packageRoot(): string {
  return (root ??= findPackageRoot());
}

/** A path under the package root, e.g. `packagePath('schemas')`. */
export function packagePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
