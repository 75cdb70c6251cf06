/**
 * The `--what-if key=value…` items and the settings they yield: the recorded run's settings with the
 * what-if applied, validated. `method=linucb` (optionally `alpha=`) runs LASeR's rule as the eval's
 * `laser` does: zero prior, λ0 = σ² = 1, mean + α·std (α = 0.1) with seeded ties, LASeR's quantile
 * rewards. No I/O.
 */
import { RouterError } from '../../src/core/errors.ts';
import { laserQuantileConfig } from '../../src/core/normalize.ts';
import type { LoopSettings } from '../runtime/context.ts';
import { validateSettings } from '../runtime/settings.ts';

/** The settings a what-if may change, by the key it is given with. */
export const whatIfKeys = ['method', 'alpha', 'lambda0', 'sigma2', 'lag', 'window', 'tieEps'] as const;
export const whatIfMethods = ['bayesian-router', 'linucb'] as const;
export type WhatIf = Partial<{
  method: (typeof whatIfMethods)[number];
  alpha: number;
  lambda0: number;
  sigma2: number;
  lag: number;
  window: number;
  tieEps: number;
}>;

const bad = (message: string): never => {
  throw new RouterError('RR_INVALID_CONFIG', `--what-if: ${message}`, { field: 'what-if' });
};

/** `key=value` items → a WhatIf; unknown keys, non-numbers and other methods are refused. */
export function parseWhatIf(items: readonly string[]): WhatIf {
  const out: WhatIf = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq),
      value = item.slice(eq + 1);
    if (eq <= 0 || !(whatIfKeys as readonly string[]).includes(key))
      bad(`expected key=value with key one of ${whatIfKeys.join(', ')}, got ${JSON.stringify(item)}`);
    if (key === 'method') {
      if (!(whatIfMethods as readonly string[]).includes(value))
        bad(
          `method ${JSON.stringify(value)}: the stream router implements ${whatIfMethods.join(' and ')} (the others run in \`reward-router eval\`)`,
        );
      out.method = value as WhatIf['method'];
      continue;
    }
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) bad(`${key} must be a number, got ${JSON.stringify(value)}`);
    (out as Record<string, number>)[key] = n;
  }
  return out;
}

/** The recorded settings with the what-if applied (validated: RR_INVALID_CONFIG names a bad value). */
export function applyWhatIf(s: LoopSettings, w: WhatIf): LoopSettings {
  if (w.alpha !== undefined && w.method !== 'linucb') bad('alpha needs method=linucb');
  if (w.alpha !== undefined && !(w.alpha >= 0)) bad(`alpha must be ≥ 0, got ${w.alpha}`);
  // LinUCB as the eval's `laser`: no prior (e_k = 0), A_k = I (λ0 = σ² = 1), LASeR's rewards.
  const linucb = w.method === 'linucb';
  const base: LoopSettings = linucb
    ? {
        ...s,
        prior: { ...s.prior, embeddings: s.prior.embeddings.map((e) => new Float64Array(e.length)) },
        posterior: { ...s.posterior, lambda0: 1, sigma2: 1 },
        quantile: laserQuantileConfig,
        selection: { kind: 'linucb', alpha: w.alpha ?? 0.1 },
      }
    : { ...s, selection: undefined };
  return validateSettings({
    ...base,
    posterior: {
      ...base.posterior,
      ...(w.lambda0 !== undefined ? { lambda0: w.lambda0 } : {}),
      ...(w.sigma2 !== undefined ? { sigma2: w.sigma2 } : {}),
    },
    quantile: { ...base.quantile, ...(w.window !== undefined ? { window: w.window } : {}) },
    ...(w.lag !== undefined ? { lag: w.lag } : {}),
    ...(w.tieEps !== undefined ? { tieEps: w.tieEps } : {}),
  });
}
