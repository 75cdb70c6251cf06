/**
 * Readiness of one app = started (its state restored: apps read their state topics to the end before
 * their factory resolves), joined (every consumer it made has joined its group), and caught up (on
 * every partition it has read from, end offset − next offset ≤ maxLag). Lag is refreshed here,
 * on each probe or scrape, from the bus's end offsets.
 */
import type { InstrumentedBus } from './instrumentBus.ts';
import type { AppMetrics } from './metrics.ts';

export interface ReadyState {
  ready: boolean;
  started: boolean;
  joined: boolean;
  caughtUp: boolean;
  lag: number;
  reasons: string[];
}

export interface Readiness {
  /** Call once the app factory has resolved (state restored, consumers running). */
  markStarted(stats?: () => Record<string, number>): void;
  /** Call when the app stops or its pipeline failed: not ready any more. */
  markStopped(): void;
  check(): Promise<ReadyState>;
}

export function createReadiness(bus: InstrumentedBus, metrics: AppMetrics, o: { app: string; maxLag: number }): Readiness {
  let started = false;
  let stopped = false;
  let stats: (() => Record<string, number>) | undefined;

  const refreshLag = async (): Promise<number> => {
    let worst = 0;
    for (const [topic, parts] of bus.positions.next) {
      for (const end of await bus.endOffsets(topic)) {
        const next = parts.get(end.partition);
        if (next === undefined) continue;
        const lag = Number(BigInt(end.high) > next ? BigInt(end.high) - next : 0n);
        metrics.lag.set({ app: o.app, topic, partition: String(end.partition) }, lag);
        worst = Math.max(worst, lag);
      }
    }
    return worst;
  };

  return {
    markStarted(s) {
      started = true;
      stats = s;
    },
    markStopped() {
      stopped = true;
    },
    async check(): Promise<ReadyState> {
      if (stats) for (const [name, v] of Object.entries(stats())) if (Number.isFinite(v)) metrics.stat.set({ app: o.app, name }, v);
      const reasons: string[] = [];
      if (stopped) reasons.push('stopped');
      if (!started) reasons.push('not started: restoring state or joining');
      const joined = bus.positions.joined === bus.positions.consumers;
      if (started && !joined) reasons.push(`${bus.positions.consumers - bus.positions.joined} consumer(s) not joined`);
      const lag = await refreshLag();
      const caughtUp = lag <= o.maxLag;
      if (!caughtUp) reasons.push(`lag ${lag} > ${o.maxLag}`);
      return { ready: reasons.length === 0, started, joined, caughtUp, lag, reasons };
    },
  };
}
