/**
 * The three named scenarios, each a full SimConfig built from the defaults.
 *  - stationary: online accuracies = offline accuracies, fixed uniform mix.
 *    The offline prior is right from the start; online learning can only add noise.
 *  - shift: in every other category the offline-best RM loses δ = 0.08 of pairwise
 *    accuracy online and the offline runner-up gains 0.08 (clipped to [0.5, 0.995]).
 *    The prior points at the wrong RM there; online feedback has to find out.
 *  - drift: accuracies unchanged, but the category mix moves linearly from
 *    `front` (80% on the first half of the categories) to `back` over the run.
 *    A fixed RM picked for the early mix becomes worse; a contextual router
 *    should not care, but its reward history (quantiles, never forgotten) sees
 *    a moving distribution.
 */
import { RouterError } from '../core/errors.ts';
import { defaultSimConfig } from './config.ts';
import type { SimConfig } from './config.ts';

export const scenarioNames = ['stationary', 'shift', 'drift', 'domain', 'correlated', 'learning', 'prior-shift'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

function withDefaults(over: Partial<SimConfig>): SimConfig {
  return structuredClone({ ...defaultSimConfig, ...over });
}

export function stationaryScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({ drift: { kind: 'none' }, shift: { kind: 'none' }, ...overrides });
}

export function shiftScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({
    drift: { kind: 'none' },
    shift: { kind: 'demoteBest', delta: 0.08, categories: 'alternate' },
    ...overrides,
  });
}

export function driftScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({
    categoryMix: 'front',
    drift: { kind: 'linear', to: 'back', startBatch: 0, endBatch: null },
    shift: { kind: 'none' },
    ...overrides,
  });
}

/**
 * domain: the offline data comes from another distribution than the online stream: each category's
 * prototype moved (cos ≈ 0.8), a skewed offline mix (80 % on the first half of the categories) and
 * offline accuracies jittered by up to ±0.04. The prior is learned on a neighbouring world.
 */
export function domainScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({ offlineMix: 'front', offlineDomain: { prototypeShift: 0.75, accuracyJitter: 0.04 }, ...overrides });
}

/** correlated: RM errors share blind spots (half of each RM's errors come from a per-pair difficulty common to all). */
export function correlatedScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({ errorCorrelation: 0.5, ...overrides });
}

/** learning: the loss starts uninformative (log 2) and grows as the policy learns from its own labels. */
export function learningScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({ policyLearning: { scale: 300 }, ...overrides });
}

/** prior-shift: in every other category the RM the trained prior prefers loses 0.08 online, the best other RM gains 0.08. */
export function priorShiftScenario(overrides: Partial<SimConfig> = {}): SimConfig {
  return withDefaults({ shift: { kind: 'demotePrior', delta: 0.08, categories: 'alternate' }, ...overrides });
}

/** The named scenario's config; `RR_INVALID_CONFIG` for an unknown name. */
export function scenarioConfig(name: string, overrides: Partial<SimConfig> = {}): SimConfig {
  switch (name) {
    case 'stationary':
      return stationaryScenario(overrides);
    case 'shift':
      return shiftScenario(overrides);
    case 'drift':
      return driftScenario(overrides);
    case 'domain':
      return domainScenario(overrides);
    case 'correlated':
      return correlatedScenario(overrides);
    case 'learning':
      return learningScenario(overrides);
    case 'prior-shift':
      return priorShiftScenario(overrides);
    default:
      throw new RouterError(
        'RR_INVALID_CONFIG',
        `scenario: unknown scenario ${JSON.stringify(name)} (known: ${scenarioNames.join(', ')})`,
        { field: 'scenario' },
      );
  }
}
