// Types of kafka.mjs for the TypeScript tests that start their own broker (plain ESM, no build step).
export interface Broker {
  brokers: string; port: number; controllerPort: number; dir: string; pid: number; logFile: string; ownsDir: boolean; clusterId: string;
  timings: { formatMs: number; readyMs: number };
  stop(): Promise<void>;
}
export function startBroker(opts?: { dir?: string; detached?: boolean; heapOpts?: string[]; signal?: AbortSignal; port?: number; controllerPort?: number; properties?: Record<string, string | number> }): Promise<Broker>;
export function ensureJars(): { libs: string; fetched: boolean; jars: number };
export const KAFKA_VERSION: string;
