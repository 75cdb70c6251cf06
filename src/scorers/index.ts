/** Builds an RM's backend from its ScorerConfig (config.ts); sim stays in streams/scorer/scorer.ts. */
import type { Clock } from '../bus/types.ts';
import type { ScorerConfig } from './config.ts';
import { httpBackend } from './http.ts';
import { judgeBackend } from './judge.ts';
import { Resilient, realTimers, type Timers } from './resilience.ts';
import { tfjsBackend } from './tfjs.ts';
import type { RmBackend } from './types.ts';

export interface BackendEnv {
  clock: Clock;
  seed: number;
  run: string;
  rm: string;
  timers?: Timers;
}

export async function createRmBackend(cfg: Exclude<ScorerConfig, { backend: 'sim' }>, env: BackendEnv): Promise<RmBackend> {
  const res = (): Resilient => new Resilient(cfg, env.clock, env.seed, env.rm, env.timers ?? realTimers);
  switch (cfg.backend) {
    case 'http': return httpBackend(cfg, res());
    case 'judge': return judgeBackend({ ...cfg, seed: env.seed, run: env.run }, res());
    case 'tfjs': return tfjsBackend({ modelDir: cfg.modelDir, tfBackend: cfg.tfBackend, maxBatch: 512, clock: env.clock });
  }
}

export type { RmBackend, PairInput, PairResult } from './types.ts';
export { parseScorers, parseScorerConfig, type ScorerConfig } from './config.ts';
