/**
 * Shared option parsers and help texts for the CLI: each parser rejects bad input with a typed
 * error naming the flag. Loaded for every command (also for `--help`): keep its imports light.
 */
import { RouterError } from '../core/errors.ts';
import { checkShadowFraction } from '../core/shadow.ts';
import { packagePath } from '../paths.ts';
import { scenarioNames } from '../sim/scenarios.ts';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RouterError('RR_INVALID_CONFIG', `expected a positive integer, got ${JSON.stringify(value)}`, { field: 'option' });
  return n;
}

/** 0 or a positive integer. */
export const nonNegative = (v: string): number => (v === '0' ? 0 : parsePositiveInt(v));

export const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
export const intList = (value: string): number[] => list(value).map(parsePositiveInt);

/** The RewardBench 2 table shipped with the package. */
export function defaultProfilesPath(): string {
  return packagePath('data', 'rewardbench2-profiles.json');
}

/** The simulator's scenarios as a help text (`stationary | shift | …`), from src/sim/scenarios.ts. */
export const scenarioChoices = scenarioNames.join(' | ');

/** `--shadow-fraction f`: a number with 0 ≤ f ≤ 1 (RR_INVALID_CONFIG `shadow.fraction` otherwise). */
export function parseShadowFraction(value: string): number {
  return checkShadowFraction(value.trim() === '' ? NaN : Number(value));
}

/** A parser that accepts one of `allowed` (RR_INVALID_CONFIG otherwise). */
export function choice<T extends string>(allowed: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(allowed as readonly string[]).includes(v))
      throw new RouterError('RR_INVALID_CONFIG', `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`, { field: 'option' });
    return v as T;
  };
}
