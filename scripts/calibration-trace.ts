// The fitted calibration of bayesian-router-calibrated (alpha, beta, sigma2, lambda0) every 10 batches of one
// seed, 60 batches, and its accuracy beside offline-only: npx tsx scripts/calibration-trace.ts [scenario]
import { runLoop } from '../src/eval/loop.ts';
import { buildMethods } from '../src/eval/methods.ts';
import { armOrder } from '../src/eval/run.ts';
import { embeddingsFor } from '../src/core/prior.ts';
import { defaultPool } from '../src/sim/pool.ts';
import { trainOfflineRouter } from '../src/offline/index.ts';
import { generateOfflineFromWorld } from '../src/sim/offline.ts';
import { selectModels } from '../src/sim/profiles.ts';
import { loadProfilesFile } from '../src/sim/profilesFile.ts';
import { scenarioConfig } from '../src/sim/scenarios.ts';
import { onlineStreamFromWorld } from '../src/sim/stream.ts';
import { SimTrainer } from '../src/sim/trainer.ts';
import { buildWorld } from '../src/sim/world.ts';
import type { AffineCalibratedPolicy } from '../src/core/calibrated.ts';
const seed = 1;
const order = armOrder(defaultPool, seed);
const pool = selectModels(loadProfilesFile('data/rewardbench2-profiles.json'), order);
const cfg = { ...scenarioConfig(process.argv[2] ?? 'stationary'), seed, batches: 60 };
const world = buildWorld(pool, cfg, seed);
const ex = generateOfflineFromWorld(world);
const { prior } = await trainOfflineRouter({
  data: {
    ids: ex.map((e) => e.id),
    categories: ex.map((e) => e.category),
    embeddings: ex.map((e) => e.embedding),
    labels: ex.map((e) => Uint8Array.from(order, (a) => e.labels[a]!)),
    arms: order,
    width: 64,
  },
  d: 64,
  seed,
});
const methods = buildMethods({
  arms: order,
  embeddings: embeddingsFor(prior, order),
  seed,
  run: 'x',
  posterior: { lambda0: 50, sigma2: 1, refreshEvery: 2048 },
  lag: 1,
  only: ['bayesian-router-calibrated', 'offline-only'],
});
const pol = (methods[0] as unknown as { policy: AffineCalibratedPolicy }).policy;
const traces = runLoop({
  stream: onlineStreamFromWorld(world),
  trainer: new SimTrainer(cfg.trainer, seed),
  methods,
  prior,
  batches: 60,
  tieEps: 0.1,
  keepPerPrompt: 4,
  seed,
  run: 'x',
  onBatch: (t) => {
    if (t % 10 === 9)
      console.log(
        t,
        'alpha',
        pol.alpha.toFixed(3),
        'beta',
        pol.beta.toFixed(3),
        'sigma2',
        pol.sigma2.toFixed(3),
        'lambda0',
        pol.lambda0.toFixed(1),
      );
  },
});
for (const tr of traces) console.log(tr.name, (tr.correct.reduce((a, b) => a + b) / tr.pairs.reduce((a, b) => a + b)).toFixed(4));
