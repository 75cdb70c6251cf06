/**
 * `reward-router eval`: every method on the same simulated stream, a table on
 * stdout (or one JSON object with --json), an HTML report with plots. Loaded by the
 * command's action only (its flags are in ../commands/eval.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { defaultPosteriorConfig } from '../../core/posterior.ts';
import { readPrior } from '../../offline/index.ts';
import { describeSimConfig } from '../../sim/config.ts';
import { loadProfilesFile } from '../../sim/profilesFile.ts';
import { scenarioNames } from '../../sim/scenarios.ts';
import { htmlReport } from '../../eval/report.ts';
import { runEval } from '../../eval/run.ts';
import { RouterError } from '../../core/errors.ts';
import { decay, pairedComparisons } from '../../eval/paired.ts';
import { readVerdictsFile } from '../../eval/verdicts.ts';
import { summarizeEval } from '../../eval/summary.ts';
import { accuracyTables, compactTable, decayTable, pairedTable, selectionTables } from '../../eval/table.ts';
import { selectModels } from '../../sim/profiles.ts';

export interface EvalCliOptions {
  profiles: string;
  models: string[];
  scenario: string;
  seeds: number;
  firstSeed: number;
  batches: number;
  horizons: number[];
  d: number;
  lambda0: number;
  lag: number;
  prior?: string;
  offlineEpochs?: number;
  offlineBalance?: boolean;
  offlineBalanceRule: 'authors' | 'paths';
  offlineBtAverage: 'example' | 'pair';
  keep: 'random' | 'first';
  methods?: string[];
  report: string;
  tracesOut?: string;
  stream?: string;
  streamBatch: number;
  json: boolean;
  progress: boolean;
}

export async function evalCommand(
  o: EvalCliOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  const pool = loadProfilesFile(o.profiles);
  for (const r of selectModels(pool, o.models).raised ?? []) {
    err.write(
      `reward-router: warning: ${o.profiles}: models[${JSON.stringify(r.model)}].${r.category} = ${r.value} (${pool.metric}) is a pairwise accuracy of ${r.pairwise.toFixed(3)}, below chance; the simulator raises it to 0.5 (a coin)\n`,
    );
  }
  const scenarios = o.scenario === 'all' ? [...scenarioNames] : o.scenario.split(',');
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i);
  const prior = o.prior ? await readPrior(o.prior) : undefined;
  const stream =
    o.stream && prior
      ? { lines: readVerdictsFile(o.stream, o.models, prior.projection?.inputDim ?? prior.d), source: o.stream, batchPairs: o.streamBatch }
      : undefined;
  if (o.stream && !prior)
    throw new RouterError(
      'RR_INVALID_CONFIG',
      'prior: eval --stream needs --prior FILE (a prior trained for the encoder that made the contexts)',
      { field: 'prior' },
    );
  const bar =
    o.progress && process.stderr.isTTY
      ? new SingleBar(
          { format: ' {bar} {percentage}% | {value}/{total} batches | {label}', stream: process.stderr },
          Presets.shades_classic,
        )
      : null;
  let started = false;
  const result = await runEval({
    pool,
    models: o.models,
    scenarios,
    seeds,
    prior,
    only: o.methods,
    stream,
    sim: { batches: o.batches, d: o.d },
    posterior: { ...defaultPosteriorConfig, lambda0: o.lambda0 },
    lag: o.lag,
    offline: {
      ...(o.offlineEpochs !== undefined ? { epochs: o.offlineEpochs } : {}),
      ...(o.offlineBalance ? { balance: true, balanceRule: o.offlineBalanceRule } : {}),
      ...(o.offlineBtAverage !== 'example' ? { btAverage: o.offlineBtAverage } : {}),
    },
    keep: o.keep,
    onProgress: (done, total, label) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0, { label });
        started = true;
      }
      bar.update(done, { label });
    },
  });
  bar?.stop();
  const horizons = [...new Set([...o.horizons, o.batches])].sort((a, b) => a - b);
  const summaries = summarizeEval(result, horizons);
  const paired = pairedComparisons(result, horizons);
  const early = Math.min(...o.horizons);
  const decayRows = decay(result, early);
  const first = Object.values(result.configs)[0]!;
  const settings = {
    profiles: o.profiles,
    metric: pool.metric,
    models: result.models,
    categories: result.categories,
    scenarios,
    seeds,
    horizons,
    batches: o.batches,
    promptsPerBatch: first.promptsPerBatch,
    pairsPerBatch: (first.promptsPerBatch * (first.responsesPerPrompt * (first.responsesPerPrompt - 1))) / 2,
    d: o.d,
    lambda0: o.lambda0,
    sigma2: defaultPosteriorConfig.sigma2,
    lag: o.lag,
    prior: o.prior ?? 'trained per seed by the offline stage on simulated offline data',
    offline: result.runs.map((r) => ({
      scenario: r.scenario,
      seed: r.seed,
      router_accuracy: r.prior.metrics.router_accuracy,
      fixed: r.prior.metrics.fixed,
      backend: r.offline?.backend ?? null,
    })),
    sim: Object.fromEntries(Object.entries(result.configs).map(([k, v]) => [k, v])),
  };
  // Each scenario's block names the seeds it ran (its config carries only the default seed).
  const settingsText =
    `profiles: ${o.profiles} (metric ${pool.metric}${pool.metric.startsWith('best_of_4') ? ', pairwise accuracy taken as its cube root' : ''}); RMs: ${result.models.join(', ')}\n\n` +
    Object.entries(result.configs)
      .map(([k, v]) =>
        o.stream
          ? `[${k}]\nrecorded verdicts from ${o.stream} (${v.batches} batches; seeds ${seeds.join(', ')} key the routers' draws); the trainer's loss per kept pair is simulated from its label's correctness (β = ${v.trainer.beta}, margin ~ N(${v.trainer.marginMean}, ${v.trainer.marginSd}))`
          : `[${k}]\n${describeSimConfig(v).replace(/^seed: .*$/m, `seeds: ${seeds.join(', ')}`)}`,
      )
      .join('\n\n') +
    `\n\nrouter: λ0 = ${o.lambda0}, σ² = ${defaultPosteriorConfig.sigma2}, lag = ${o.lag}; seeds ${seeds.join(', ')}; prior: ${settings.prior}`;
  if (o.tracesOut) {
    mkdirSync(dirname(o.tracesOut), { recursive: true });
    writeFileSync(
      o.tracesOut,
      JSON.stringify({
        settings,
        models: result.models,
        categories: result.categories,
        configs: result.configs,
        runs: result.runs.map((r) => ({ scenario: r.scenario, seed: r.seed, traces: r.traces, offline: r.prior.metrics })),
      }),
    );
  }
  mkdirSync(dirname(o.report), { recursive: true });
  writeFileSync(o.report, htmlReport(result, summaries, settingsText, 10, { paired, decay: decayRows }));
  if (o.json) {
    out.write(JSON.stringify({ settings, methods: summaries, paired, decay: decayRows }, null, 2) + '\n');
    err.write(`reward-router: wrote the report to ${o.report}\n`);
    return;
  }
  // One line per distinct prior (scenarios with their own offline data train their own).
  const offline = result.runs
    .filter((r, i, a) => a.findIndex((x) => x.prior === r.prior) === i)
    .map(
      (r) =>
        `seed ${r.seed} (${result.runs
          .filter((x) => x.prior === r.prior)
          .map((x) => x.scenario)
          .filter((v, i, a) => a.indexOf(v) === i)
          .join(
            ', ',
          )}): router_accuracy ${(100 * (r.prior.metrics.router_accuracy ?? NaN)).toFixed(2)}% vs best fixed ${(100 * Math.max(...Object.values(r.prior.metrics.fixed).map((v) => v ?? 0))).toFixed(2)}% (${r.offline?.backend ?? 'prior file'})`,
    );
  out.write(
    `${settingsText}\n\noffline prior (held-out split):\n  ${offline.join('\n  ')}\n\n### routed-label accuracy % (mean ± std over seeds), by scenario and horizon (batches)\n\n${compactTable(summaries)}\n\n` +
      `### paired differences over seeds, in points: mean [95 % t interval] wins/N (same stream for every method)\n\n${pairedTable(paired, 'offline-only')}\n\n${pairedTable(paired, 'best-single-rm')}\n\n${pairedTable(paired, 'bayesian-router')}\n\n` +
      `### late minus early: accuracy over batches ${early + 1}–${o.batches} minus over 1–${early}, paired per seed\n\n${decayTable(decayRows)}\n\n` +
      `${accuracyTables(summaries, result.categories)}\n\n${selectionTables(summaries, result.categories)}\n\nwrote the report to ${o.report}\n`,
  );
}
