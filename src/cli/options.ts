/** Shared option parsers for the CLI: each rejects bad input with a typed error naming the flag. */
import { RouterError } from '../core/errors.ts';
import { checkShadowFraction } from '../core/shadow.ts';
import { packagePath } from '../paths.ts';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new RouterError('RR_INVALID_CONFIG', `expected a positive integer, got ${JSON.stringify(value)}`, { field: 'option' });
  return n;
}

export const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
export const intList = (value: string): number[] => list(value).map(parsePositiveInt);

/** The RewardBench 2 table shipped with the package. */
export function defaultProfilesPath(): string {
  return packagePath('data', 'rewardbench2-profiles.json');
}

/** `--shadow-fraction f`: a number with 0 ≤ f ≤ 1 (RR_INVALID_CONFIG `shadow.fraction` otherwise). */
export function parseShadowFraction(value: string): number {
  return checkShadowFraction(value.trim() === '' ? NaN : Number(value));
}
