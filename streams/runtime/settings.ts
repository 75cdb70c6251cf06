/**
 * LoopSettings from defaults, a JSON config file (`loop.json`, written by
 * `reward-router loop init`) or code, validated once at the boundary: every
 * bad value is a RouterError RR_INVALID_CONFIG naming its field.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RouterError } from '../../src/core/errors.ts';
import { checkShadowFraction } from '../../src/core/shadow.ts';
import { defaultPosteriorConfig, validatePosteriorConfig, type PosteriorConfig } from '../../src/core/posterior.ts';
import type { PriorFile } from '../../src/core/prior.ts';
import { bayesianQuantileConfig, type QuantileConfig } from '../../src/core/normalize.ts';
import { readPrior } from '../../src/offline/index.ts';
import { generationBytes, RECORD_OVERHEAD_BYTES } from '../../src/records/sizes.ts';
import { topicConfigs } from '../../src/records/topicConfigs.ts';
import { requestsTopics, topicName } from '../../src/records/topics.ts';
import type { InputLimits } from '../../src/operators/limitInput.ts';
import type { SimSettings } from '../../src/sim/backend.ts';
import { defaultSimConfig, type SimConfig } from '../../src/sim/config.ts';
import { scenarioConfig } from '../../src/sim/scenarios.ts';
import { packagePath } from '../../src/paths.ts';
import { parseScorers } from '../../src/scorers/config.ts';
import type { LoopSettings } from './context.ts';

/** The RewardBench 2 profile table shipped with the package. */
export const defaultProfiles = packagePath('data', 'rewardbench2-profiles.json');

/** Everything of LoopSettings that may be given; the rest comes from the defaults. `prior` is required. */
export interface SettingsInput {
  run?: string;
  seed?: number;
  prefix?: string;
  arms?: string[];
  posterior?: Partial<PosteriorConfig>;
  quantile?: Partial<QuantileConfig>;
  lag?: number;
  tieEps?: number;
  keepPerPrompt?: number;
  posteriorWaitMs?: number;
  graceMs?: number;
  maxInFlight?: number;
  partitions?: number;
  reliability?: Partial<LoopSettings['reliability']>;
  /** Input limits (defaults: `inputLimitDefaults`). */
  limits?: Partial<InputLimits>;
  /** The simulator (demo, tests, benches); absent = none: every RM then needs a `scorers` entry. */
  sim?: { profiles?: string; scenario?: string; config?: Partial<SimConfig> };
  /** Text mode: the router's encoder model directory (LoopSettings.encoder). */
  encoder?: string;
  /** RM id → its scorer backend (src/scorers/config.ts); RMs without one are simulated (needs `sim`). */
  scorers?: Record<string, unknown>;
  /** Shadow scoring (LoopSettings.shadow): `{"fraction": 0.1}`; absent or 0 = off. */
  shadow?: { fraction?: number };
}

/** The config file: SettingsInput plus the prior's path (relative to the file). */
export interface LoopConfigFile extends SettingsInput {
  prior: string;
}

/** Generous for RLHF text (64 KiB prompt and response, 8192-wide vectors, 256 pairs a prompt); lower them per deployment. */
export const inputLimitDefaults: InputLimits = {
  maxPromptBytes: 65_536,
  maxResponseBytes: 65_536,
  maxVectorLength: 8_192,
  maxPairsPerPrompt: 256,
};

export const loopDefaults = {
  seed: 1,
  prefix: 'rr.',
  scenario: 'stationary',
  lag: 1,
  posteriorWaitMs: 60_000,
  graceMs: 5_000,
  maxInFlight: 256,
  partitions: 3,
  /** Without a simulator (its scenario sets these): the simulator's own defaults. */
  tieEps: defaultSimConfig.tieEps,
  keepPerPrompt: defaultSimConfig.keepPerPrompt,
  reliability: { outageLimitMs: 120_000, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitMs: 500, dedupePairs: 200_000 },
} as const;

function fail(field: string, message: string): never {
  throw new RouterError('RR_INVALID_CONFIG', `${field}: ${message}`, { field });
}

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;

/** Settings with the defaults filled in and validated; the simulator's seed is the loop's seed. */
export function buildSettings(input: SettingsInput, prior: PriorFile): LoopSettings {
  const seed = input.seed ?? loopDefaults.seed;
  if (!isInt(seed, 0)) fail('seed', `must be a non-negative integer, got ${JSON.stringify(seed)}`);
  const sim = input.sim === undefined ? undefined : simSettings(input.sim, seed);
  const arms = input.arms ?? prior.arms;
  const s: LoopSettings = {
    run: input.run ?? (sim ? `loop/${sim.scenario}/seed-${seed}` : `loop/seed-${seed}`),
    seed,
    prefix: input.prefix ?? loopDefaults.prefix,
    arms: [...arms],
    prior,
    posterior: { ...defaultPosteriorConfig, ...input.posterior },
    quantile: { ...bayesianQuantileConfig, ...input.quantile },
    lag: input.lag ?? loopDefaults.lag,
    tieEps: input.tieEps ?? sim?.config.tieEps ?? loopDefaults.tieEps,
    keepPerPrompt: input.keepPerPrompt ?? sim?.config.keepPerPrompt ?? loopDefaults.keepPerPrompt,
    posteriorWaitMs: input.posteriorWaitMs ?? loopDefaults.posteriorWaitMs,
    graceMs: input.graceMs ?? loopDefaults.graceMs,
    maxInFlight: input.maxInFlight ?? loopDefaults.maxInFlight,
    partitions: input.partitions ?? loopDefaults.partitions,
    reliability: { ...loopDefaults.reliability, ...input.reliability },
    limits: { ...inputLimitDefaults, ...input.limits },
    ...(sim !== undefined ? { sim } : {}),
    ...(input.encoder !== undefined ? { encoder: input.encoder } : {}),
    ...(input.scorers !== undefined ? { scorers: parseScorers(input.scorers, arms) } : {}),
    ...(input.shadow !== undefined ? { shadow: { fraction: (input.shadow as { fraction?: number } | null)?.fraction as number } } : {}),
  };
  return validateSettings(s);
}

/** The simulator section with its defaults; its seed is the loop's. */
function simSettings(input: NonNullable<SettingsInput['sim']>, seed: number): SimSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('sim', 'must be an object (or absent: no simulator)');
  const scenario = input.scenario ?? loopDefaults.scenario;
  return { profiles: input.profiles ?? defaultProfiles, scenario, config: scenarioConfig(scenario, { ...input.config, seed }) };
}

/** Checks every field (and that the prior fits the arms and the simulator); returns `s`. */
export function validateSettings(s: LoopSettings): LoopSettings {
  if (typeof s.run !== 'string' || s.run === '') fail('run', 'must be a non-empty string');
  if (!isInt(s.seed, 0)) fail('seed', `must be a non-negative integer, got ${s.seed}`);
  topicName(s.prefix, 'dlq'); // throws RR_INVALID_CONFIG for an illegal prefix
  if (!Array.isArray(s.arms) || s.arms.length === 0) fail('arms', 'needs at least one RM');
  requestsTopics(s.prefix, s.arms); // duplicates and colliding topic names
  for (const rm of s.arms) if (!s.prior.arms.includes(rm)) fail('arms', `the prior has no embedding for RM ${JSON.stringify(rm)}`);
  validatePosteriorConfig(s.posterior);
  if (!isInt(s.lag, 1)) fail('lag', `must be an integer ≥ 1, got ${s.lag}`);
  if (!(Number.isFinite(s.tieEps) && s.tieEps >= 0)) fail('tieEps', `must be a finite number ≥ 0, got ${s.tieEps}`);
  if (!isInt(s.keepPerPrompt, 1)) fail('keepPerPrompt', `must be an integer ≥ 1, got ${s.keepPerPrompt}`);
  for (const f of ['posteriorWaitMs', 'graceMs'] as const)
    if (!(Number.isFinite(s[f]) && s[f] >= 0)) fail(f, `must be a number of ms ≥ 0, got ${s[f]}`);
  if (!isInt(s.maxInFlight, 1)) fail('maxInFlight', `must be an integer ≥ 1, got ${s.maxInFlight}`);
  if (!isInt(s.partitions, 1)) fail('partitions', `must be an integer ≥ 1, got ${s.partitions}`);
  for (const [k, v] of Object.entries(s.reliability)) if (!isInt(v, 1)) fail(`reliability.${k}`, `must be an integer ≥ 1, got ${v}`);
  for (const f of Object.keys(inputLimitDefaults) as (keyof InputLimits)[])
    if (!isInt(s.limits?.[f], 1)) fail(`limits.${f}`, `must be an integer ≥ 1, got ${s.limits?.[f]}`);
  // The input limits must not let through a record the topics refuse: a one-pair generation at every
  // per-item limit must fit the generations topic (and so the requests copying it; dlq holds any whole).
  const onePair = generationBytes(s.limits, 1);
  const topicMax = Number(topicConfigs('generations', { d: s.prior.d })['max.message.bytes']);
  if (onePair + RECORD_OVERHEAD_BYTES > topicMax)
    fail(
      'limits',
      `let through a one-pair generation of up to ${onePair} bytes (maxPromptBytes ${s.limits.maxPromptBytes}, 2 × maxResponseBytes ${s.limits.maxResponseBytes}, maxVectorLength ${s.limits.maxVectorLength}), which with ${RECORD_OVERHEAD_BYTES} bytes of record overhead exceeds the generations topic's max.message.bytes ${topicMax}: lower the limits`,
    );
  const width = s.prior.projection === null ? s.prior.d : s.prior.projection.inputDim;
  // In text mode the trainer sends no vectors: the encoder's width is checked against the prior's.
  if (s.encoder !== undefined && (typeof s.encoder !== 'string' || s.encoder === '')) fail('encoder', 'must be a model directory');
  if (s.sim !== undefined) {
    const simWidth = s.sim.config.inputDim ?? s.sim.config.d;
    if (s.encoder === undefined && width !== simWidth)
      fail('sim.config', `the simulator makes embeddings of width ${simWidth}, the prior expects ${width}`);
    if (s.sim.config.seed !== s.seed) fail('sim.config.seed', `must equal seed (${s.seed}), got ${s.sim.config.seed}`);
  } else {
    // No simulator: every RM needs a real scorer backend (a production loop).
    const missing = s.arms.filter((rm) => s.scorers?.[rm] === undefined || s.scorers[rm]!.backend === 'sim');
    if (missing.length > 0)
      fail(
        'scorers',
        `without a "sim" section every RM needs a scorer backend; none (or "sim") for ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
      );
  }
  if (s.shadow !== undefined) checkShadowFraction(s.shadow?.fraction); // RR_INVALID_CONFIG shadow.fraction
  return s;
}

/** Parses a config file's JSON (no I/O); `prior` is the already-loaded prior. */
export function settingsFromJson(json: unknown, prior: PriorFile, source = 'config'): LoopSettings {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(source, 'must be a JSON object');
  return buildSettings(json as SettingsInput, prior);
}

/** Reads `loop.json`, the prior it references (relative paths resolve beside the file), and validates. */
export async function loadSettings(path: string): Promise<LoopSettings> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new RouterError('RR_INVALID_CONFIG', `cannot read config ${path}: ${(cause as Error).message}`, {
      cause,
      field: 'config',
      source: path,
    });
  }
  const file = json as Partial<LoopConfigFile>;
  if (typeof file?.prior !== 'string') fail('prior', `${path} must name the prior file ("prior": "prior.json")`);
  const prior = await readPrior(resolve(dirname(path), file.prior));
  const profiles = file.sim?.profiles;
  const sim = file.sim === undefined ? {} : { sim: { ...file.sim, ...(profiles ? { profiles: resolve(dirname(path), profiles) } : {}) } };
  const encoder = typeof file.encoder === 'string' ? { encoder: resolve(dirname(path), file.encoder) } : {};
  // A tfjs scorer's model directory resolves beside the file too.
  const scorers =
    file.scorers && typeof file.scorers === 'object'
      ? {
          scorers: Object.fromEntries(
            Object.entries(file.scorers).map(([rm, c]) => {
              const cfg = c as { modelDir?: unknown };
              return [rm, typeof cfg?.modelDir === 'string' ? { ...cfg, modelDir: resolve(dirname(path), cfg.modelDir) } : c];
            }),
          ),
        }
      : {};
  return settingsFromJson({ ...file, ...sim, ...encoder, ...scorers }, prior, path);
}
