/**
 * Bytes on `decisions` per routed pair: v1 (one record per pair) against v2 (one record per prompt),
 * single-object encoding, K = the default pool, 6 pairs per prompt (the simulator's default:
 * 4 responses), d = 16, 64, 768. Values are deterministic (no RNG needed: sizes depend on lengths).
 *
 *   node --import tsx scripts/decision-size.ts
 */
import { SingleObjectCodec } from '../src/avro/codec.ts';
import { SchemaCatalog } from '../src/avro/registry.ts';
import { encodeSingleObject } from '../src/avro/singleObject.ts';
import { defaultPool } from '../src/sim/pool.ts';
import { promptDecision } from '../src/records/decisions.ts';

const catalog = SchemaCatalog.load();
const codec = new SingleObjectCodec(catalog);
const v1 = catalog.entries().find((e) => e.name === 'Decision' && e.version === 'v1')!;
const arms = [...defaultPool];
const K = arms.length;
const PAIRS = 6;
const vec = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s + i + 1) / 3);
const common = {
  run: 'loop/stationary/seed-1',
  batch: 123,
  promptId: 'b123-p07',
  method: 'bayesian-router',
  seed: 1,
  posteriorVersion: 122,
  arms,
  decidedAtMs: 1764585600000,
};
console.log('d     K  pairs/prompt  v1 bytes/pair  v2 bytes/pair  v2/v1   records/prompt v1 → v2');
for (const d of [16, 64, 768]) {
  const pairs = Array.from({ length: PAIRS }, (_, j) => ({
    pairId: `b123-p07-${j}`,
    context: vec(d, j),
    chosen: j % K,
    means: vec(K, 10 + j),
    stds: vec(K, 20 + j),
    samples: vec(K, 30 + j),
  }));
  const old = pairs.reduce(
    (n, p) =>
      n +
      encodeSingleObject(v1, {
        ...common,
        pairId: p.pairId,
        context: p.context,
        chosen: p.chosen,
        chosenRm: arms[p.chosen]!,
        means: p.means,
        stds: p.stds,
        samples: p.samples,
      }).length,
    0,
  );
  const now = codec.encodeSync('decisions', promptDecision(common, pairs)).length;
  console.log(
    `${String(d).padEnd(5)} ${K}  ${String(PAIRS).padEnd(12)}  ${(old / PAIRS).toFixed(0).padStart(13)}  ${(now / PAIRS).toFixed(0).padStart(13)}  ${(now / old).toFixed(3)}   ${PAIRS} → 1`,
  );
}
