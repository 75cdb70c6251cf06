/**
 * Builds an RM's backend from its ScorerConfig (config.ts). Every backend, the simulator's included,
 * is an RmBackend scored through the one path (the scoreMicroBatch operator). The simulator and tfjs
 * are imported only when a config names them, so a deployment of HTTP RMs never loads either.
 */
import type { Clock } from '../bus/types.ts';
import { RouterError } from '../core/errors.ts';
import type { SimSettings } from '../sim/backend.ts';
import type { ScorerConfig } from './config.ts';
import { httpBackend } from './http.ts';
import { judgeBackend, type JudgeLog } from './judge.ts';
import { Resilient, realTimers, type Timers } from './resilience.ts';
import type { RmBackend } from './types.ts';

export interface BackendEnv {
  clock: Clock;
  seed: number;
  run: string;
  rm: string;
  /** The loop's RMs in arm order (the simulator scores by arm). */
  arms: readonly string[];
  /** The loop's simulator section; required by `{"backend": "sim"}`. */
  sim?: SimSettings;
  /** Simulated scoring time per call (the simulator only; backpressure tests). */
  simDelayMs?: number;
  timers?: Timers;
  /** The scorer's logger (what a backend's preflight reports). */
  log?: JudgeLog;
}

/** Micro-batch bounds of the simulator: each request alone and at once (it answers in memory). */
export const simMicroBatch = { maxPairs: 1, maxWaitMs: 0 };

export async function createRmBackend(cfg: ScorerConfig, env: BackendEnv): Promise<RmBackend> {
  const res = (c: Exclude<ScorerConfig, { backend: 'sim' }>): Resilient =>
    new Resilient(c, env.clock, env.seed, env.rm, env.timers ?? realTimers);
  switch (cfg.backend) {
    case 'http':
      // OpenRLHF's own client sends the RM's chat-templated text; `separator` (kept as the default so
      // older configs mean what they did) sends prompt + separator + response, which a value head
      // reading the EOS position was never trained on: say so once at start.
      if (cfg.protocol === 'openrlhf' && cfg.query === 'separator') {
        env.log?.warn('openrlhf RM queried as prompt + separator + response, not its chat template', {
          rm: env.rm,
          fix: 'set chatTemplate.tokenizerConfig (the RM tokenizer_config.json) or query "passthrough" if the trainer formats the prompt',
        });
      }
      return httpBackend(cfg, res(cfg));
    case 'judge':
      return judgeBackend({ ...cfg, seed: env.seed, run: env.run, rm: env.rm, log: env.log }, res(cfg));
    case 'tfjs': {
      const { tfjsBackend } = await import('./tfjs.ts');
      return tfjsBackend({ modelDir: cfg.modelDir, tfBackend: cfg.tfBackend, maxBatch: 512, clock: env.clock });
    }
    case 'sim': {
      if (env.sim === undefined) {
        throw new RouterError('RR_INVALID_CONFIG', `scorers[${JSON.stringify(env.rm)}]: backend "sim" needs the loop's "sim" section`, {
          field: `scorers[${JSON.stringify(env.rm)}]`,
        });
      }
      const { sharedSimIndex, simRmBackend } = await import('../sim/backend.ts');
      const timers = env.timers ?? realTimers;
      return simRmBackend({
        index: sharedSimIndex(env.sim, env.arms, env.seed),
        arms: env.arms,
        rm: env.rm,
        delayMs: env.simDelayMs,
        delay: (ms) => timers.sleep(ms),
      });
    }
  }
}

export type { RmBackend, PairInput, PairResult } from './types.ts';
export { parseScorers, parseScorerConfig, type ScorerConfig } from './config.ts';
