/**
 * The registry of stream apps: name → AppFactory. `scorer:<rm>` (or `scorer`
 * with the `rm` option) is one scorer per RM. Used by `reward-router run <app>`
 * and by the one-process loop.
 */
import { RouterError } from '../../src/core/errors.ts';
import { activeStandby } from '../runtime/activeStandby.ts';
import { startAggregatorApp } from '../aggregator/aggregator.ts';
import type { AppContext, AppFactory, AppHandle } from '../runtime/context.ts';
import { startLabelerApp } from '../labeler/labeler.ts';
import { startRouterApp } from '../router/router.ts';
import { startScorerApp } from '../scorer/scorer.ts';
import { startStoreApp } from '../store/store.ts';
import { startTrainerApp } from '../trainer/trainer.ts';

export interface AppOptions {
  /** The RM of a `scorer` app. */
  rm?: string;
  /** Simulated GPU time per scoring request. */
  delayMs?: number;
  /** Batches the trainer runs. */
  batches?: number;
  /** Router instance name (its replica's consumer group). */
  instance?: string;
}

export const appNames = ['router', 'scorer', 'labeler', 'trainer', 'aggregator', 'store'] as const;

/** The factory of an app name (`scorer:<rm>` included); RR_INVALID_CONFIG for an unknown one. */
export function appFactory(name: string, opts: AppOptions = {}): AppFactory {
  if (name.startsWith('scorer:')) return appFactory('scorer', { ...opts, rm: name.slice('scorer:'.length) });
  switch (name) {
    case 'router':
      return (ctx) => startRouterApp(ctx, { instance: opts.instance });
    case 'scorer':
      return (ctx) => startScorerApp(ctx, { rm: opts.rm, delayMs: opts.delayMs });
    case 'labeler':
      return (ctx) => startLabelerApp(ctx);
    case 'trainer':
      return (ctx) => startTrainerApp(ctx, { batches: opts.batches });
    // One writer per training run: extra instances wait as standbys (streams/runtime/activeStandby.ts).
    case 'aggregator':
      return activeStandby('aggregator', (ctx) => startAggregatorApp(ctx));
    case 'store':
      return activeStandby('store', (ctx) => startStoreApp(ctx));
    default:
      throw new RouterError('RR_INVALID_CONFIG', `unknown app ${JSON.stringify(name)} (known: ${appNames.join(', ')}, scorer:<rm>)`, {
        field: 'app',
      });
  }
}

export function startApp(name: string, ctx: AppContext, opts: AppOptions = {}): Promise<AppHandle> {
  return appFactory(name, opts)(ctx);
}
