// Held-out router_accuracy of the offline prior per balancing rule and BT average, seeds 1-5, on the
// simulated offline data eval trains on: npx tsx scripts/offline-ab.ts [profiles.json] [comma-separated RMs]
import { trainOfflineRouter } from '../src/offline/index.ts';
import { defaultPool } from '../src/sim/pool.ts';
import { generateOfflineFromWorld } from '../src/sim/offline.ts';
import { selectModels } from '../src/sim/profiles.ts';
import { loadProfilesFile } from '../src/sim/profilesFile.ts';
import { stationaryScenario } from '../src/sim/scenarios.ts';
import { buildWorld } from '../src/sim/world.ts';
import { armOrder } from '../src/eval/run.ts';
const file = process.argv[2] ?? 'data/rewardbench2-profiles.json';
const full = loadProfilesFile(file);
const models = process.argv[3] ? process.argv[3].split(',') : defaultPool;
const configs = [
  { name: 'off/pair', balance: false, btAverage: 'pair' as const },
  { name: 'off/example', balance: false, btAverage: 'example' as const },
  { name: 'authors/example', balance: true, balanceRule: 'authors' as const, btAverage: 'example' as const },
  { name: 'authors/pair', balance: true, balanceRule: 'authors' as const, btAverage: 'pair' as const },
  { name: 'paths/example', balance: true, balanceRule: 'paths' as const, btAverage: 'example' as const },
];
for (const seed of [1, 2, 3, 4, 5]) {
  const order = armOrder(models, seed);
  const pool = selectModels(full, order);
  const world = buildWorld(pool, stationaryScenario({ seed }), seed);
  const ex = generateOfflineFromWorld(world);
  const data = {
    ids: ex.map((e) => e.id),
    categories: ex.map((e) => e.category),
    embeddings: ex.map((e) => e.embedding),
    labels: ex.map((e) => Uint8Array.from(order, (a) => e.labels[a]!)),
    arms: order,
    width: 64,
  };
  const row: string[] = [];
  for (const c of configs) {
    const { prior } = await trainOfflineRouter({ data, d: 64, seed, ...c });
    row.push(`${c.name} ${(100 * prior.metrics.router_accuracy!).toFixed(2)} (pairs ${prior.training.balancedPairs})`);
  }
  const best = Math.max(
    ...Object.values((await trainOfflineRouter({ data, d: 64, seed, epochs: 0 })).prior.metrics.fixed).map((v) => v ?? 0),
  );
  console.log(`seed ${seed}: ${row.join(' | ')} | best fixed ${(100 * best).toFixed(2)}`);
}
