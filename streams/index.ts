/**
 * The stream apps that stand on the library (src/): one folder per app with its internals beside it,
 * the runtime they share, the one-process loop, and replay. `reward-router run <app>` and `start`
 * (src/cli) are the usual way in; this is the way in from code.
 */
export { startRouterApp, type RouterHandle, type RouterOptions } from './router/router.ts';
export { startScorerApp, scorerConfig, type ScorerOptions } from './scorer/scorer.ts';
export { startLabelerApp } from './labeler/labeler.ts';
export { startAggregatorApp, type AggregatorOptions } from './aggregator/aggregator.ts';
export { startStoreApp } from './store/store.ts';
export { startTrainerApp, type TrainerHandle, type TrainerOptions } from './trainer/trainer.ts';
export type { TrainerBatch, TrainerModule } from './trainer/module.ts';
export { simTrainerModule, simStream } from './trainer/simulated.ts';
export { runLoop, readFinalPosteriors, type LoopOptions, type LoopSummary } from './loop/loop.ts';
export { appNames, appFactory, startApp, type AppOptions } from './loop/apps.ts';
export type { AppContext, AppFactory, AppHandle, Logger, LoopSettings, ReliabilitySettings } from './runtime/context.ts';
export { jsonLogger } from './runtime/context.ts';
export {
  buildSettings,
  loadSettings,
  settingsFromJson,
  validateSettings,
  loopDefaults,
  type LoopConfigFile,
  type SettingsInput,
} from './runtime/settings.ts';
export { createLoopTopics, loopTopicPlan } from './runtime/topics.ts';
export { Supervisor, type SupervisorOptions, type SupervisorExit } from './runtime/supervisor.ts';
export { replayRun, reproduced, type ReplayOptions, type ReplayResult } from './replay/run.ts';
