/**
 * The pure-core evaluation loop for one seed and one scenario: every method
 * faces the same simulated batches; routers are fed the trainer's per-pair loss
 * of the pairs the labeller keeps, exactly as the streaming loop does.
 */
import { makeBatch } from '../core/context.ts';
import { keepKeys, type KeepRule } from '../core/keep.ts';
import { majorityVoteCorrect, meanEnsembleCorrect, oracleCorrect } from '../core/ensembles.ts';
import type { LearnInput } from '../core/policy.ts';
import { identityOrProject } from '../core/projection.ts';
import type { PriorFile } from '../core/prior.ts';
import { CounterRng, Stream } from '../core/rng.ts';
import type { SimBatch, SimPair } from '../sim/stream.ts';
import type { LoopStream } from './verdicts.ts';
import { keepDecisive } from '../sim/labels.ts';
import type { LoopTrainer, SimTrainer } from '../sim/trainer.ts';
import type { Method } from './methods.ts';
import { newTrace, type MethodTrace } from './stats.ts';

export interface LoopOptions {
  stream: LoopStream;
  trainer: SimTrainer;
  /** A trainer per method (e.g. a policy that learns from that method's labels); default: `trainer` for all. */
  trainerFor?: (method: number) => LoopTrainer;
  methods: readonly Method[];
  prior: Pick<PriorFile, 'd' | 'projection'>;
  batches: number;
  tieEps: number;
  keepPerPrompt: number;
  /** Which decisive pairs are kept: a seeded draw per pair (default, the authors' rule) or the first ones. */
  keep?: KeepRule;
  /** Seeds the ensembles' tie-breaking coin and the kept-pair draw. */
  seed: number;
  run: string;
  onBatch?: (t: number) => void;
}

/** Per-RM std of the signed score differences over the batch: the ensemble's z-normalization. */
function scoreScales(pairs: readonly SimPair[], K: number): Float64Array {
  const s = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let m = 0,
      v = 0;
    for (const p of pairs) m += p.signedScore[k]!;
    m /= pairs.length;
    for (const p of pairs) v += (p.signedScore[k]! - m) ** 2;
    s[k] = Math.sqrt(v / pairs.length);
  }
  return s;
}

function ensembleCorrect(kind: Method['name'], p: SimPair, scales: Float64Array, coin: CounterRng): boolean {
  if (kind === 'oracle') return oracleCorrect(p.correct);
  if (kind === 'majority-vote') return majorityVoteCorrect(p.correct, coin.pairUniform(p.pairId, 0, Stream.tieBreak));
  // signedScore > 0 means "prefers a"; flip it into "agrees with gold".
  const agree = p.signedScore.map((v) => (p.goldA ? v : -v));
  return meanEnsembleCorrect(agree, scales);
}

export function runLoop(o: LoopOptions): MethodTrace[] {
  const K = o.stream.world.pool.models.length;
  const C = o.stream.world.pool.categories.length;
  const traces = o.methods.map((m) => newTrace(m.name, m.rmCallsPerPair, m.kind === 'router'));
  const trainers: LoopTrainer[] = o.methods.map((_, i) => o.trainerFor?.(i) ?? o.trainer);
  const coin = new CounterRng(o.seed, `${o.run}/ensemble`);
  const keepKey = (o.keep ?? 'random') === 'random' ? keepKeys(o.seed, o.run) : undefined;
  for (let t = 0; t < o.batches; t++) {
    const sim: SimBatch = o.stream.generateBatch(t);
    const pairs = sim.prompts.flatMap((p) => p.pairs);
    const cats = sim.prompts.flatMap((p) => p.pairs.map(() => p.categoryIndex));
    const contexts = pairs.map((p) => identityOrProject(o.prior, p.x));
    const batch = makeBatch(
      pairs.map((p) => p.pairId),
      contexts,
      o.prior.d,
    );
    const scales = scoreScales(pairs, K);
    o.methods.forEach((m, i) => {
      const tr = traces[i]!;
      const ok = new Array<number>(C).fill(0);
      const n = new Array<number>(C).fill(0);
      if (m.kind === 'ensemble') {
        pairs.forEach((p, j) => {
          n[cats[j]!]!++;
          if (ensembleCorrect(m.name, p, scales, coin)) ok[cats[j]!]!++;
        });
      } else {
        const decisions = m.policy.route(t, batch);
        const sel = Array.from({ length: K }, () => new Array<number>(C).fill(0));
        const arms = decisions.map((d) => d.arm);
        pairs.forEach((p, j) => {
          const c = cats[j]!;
          n[c]!++;
          sel[arms[j]!]![c]!++;
          if (p.correct[arms[j]!]) ok[c]!++;
        });
        tr.selected!.push(sel);
        const feedback: LearnInput[] = [];
        const trained: { category: number; correct: boolean }[] = [];
        const trainer = trainers[i]!;
        let offset = 0;
        for (const prompt of sim.prompts) {
          const local = arms.slice(offset, offset + prompt.pairs.length);
          for (const j of keepDecisive(prompt.pairs, local, o.tieEps, o.keepPerPrompt, keepKey)) {
            const g = offset + j;
            const p = pairs[g]!;
            const arm = arms[g]!;
            feedback.push({
              pairId: p.pairId,
              arm,
              x: batch.X.subarray(g * o.prior.d, (g + 1) * o.prior.d),
              loss: trainer.loss(p.pairId, p.correct[arm]!, prompt.categoryIndex),
            });
            trained.push({ category: prompt.categoryIndex, correct: p.correct[arm]! });
          }
          offset += prompt.pairs.length;
        }
        trainer.observe?.(trained);
        m.policy.learn(t, feedback);
      }
      tr.correct.push(ok.reduce((a, b) => a + b, 0));
      tr.pairs.push(pairs.length);
      tr.correctByCat.push(ok);
      tr.pairsByCat.push(n);
    });
    o.onBatch?.(t);
  }
  return traces;
}
