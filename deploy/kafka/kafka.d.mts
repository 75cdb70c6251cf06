// Types of kafka.mjs for the TypeScript tests that start their own broker (plain ESM, no build step).
export interface Broker {
  brokers: string;
  port: number;
  controllerPort: number;
  dir: string;
  pid: number;
  logFile: string;
  ownsDir: boolean;
  clusterId: string;
  timings: { formatMs: number; readyMs: number };
  /** With `saslSsl`: the SASL_SSL listener, its CA file, the users' password file and the users. */
  saslSsl?: { brokers: string; caFile: string; passwordFile: string; users: { username: string; password: string }[] };
  stop(): Promise<void>;
}
export function startBroker(opts?: {
  dir?: string;
  detached?: boolean;
  heapOpts?: string[];
  signal?: AbortSignal;
  port?: number;
  controllerPort?: number;
  properties?: Record<string, string | number>;
  saslSsl?: boolean | { users: { username: string; password: string }[] };
}): Promise<Broker>;
export function ensureJars(): { libs: string; fetched: boolean; jars: number };
export const KAFKA_VERSION: string;
