/** Writes simulated offline data as JSONL (docs/formats.md): the simulator's only file write. */
import { writeFileSync } from 'node:fs';
import { RouterError } from '../core/errors.ts';
import { offlineExampleToJson } from './offline.ts';
import type { OfflineExample } from './offline.ts';

export function writeOfflineJsonl(path: string, examples: readonly OfflineExample[]): void {
  const text = examples.map((ex) => offlineExampleToJson(ex) + '\n').join('');
  try {
    writeFileSync(path, text, 'utf8');
  } catch (cause) {
    throw new RouterError('RR_IO', `cannot write offline JSONL ${path}`, { cause, source: path });
  }
}
