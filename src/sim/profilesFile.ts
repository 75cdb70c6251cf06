/** The simulator's only file read: an RM profile JSON file (docs/formats.md). */
import { readFileSync } from 'node:fs';
import { RouterError } from '../core/errors.ts';
import { parseProfiles } from './profiles.ts';
import type { RmPool } from './profiles.ts';

export function loadProfilesFile(path: string): RmPool {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RouterError('RR_IO', `cannot read RM profile file ${path}`, { cause, source: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RouterError('RR_INVALID_PROFILE', `${path}: not valid JSON`, { cause, source: path, field: '(root)' });
  }
  return parseProfiles(json, path);
}
