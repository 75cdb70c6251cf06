/**
 * kafkajs's log lines, one JSON object per line on stderr (its own console format: level, timestamp,
 * logger, `[Namespace] message`, its extra fields), with one change. kafkajs logs every failed broker
 * answer at ERROR, also the ones it retries and gets past: a transaction step answered
 * CONCURRENT_TRANSACTIONS, a produce answered NOT_LEADER_FOR_PARTITION, a coordinator still loading.
 * A successful replay printed 8-22 such ERROR lines (issue 19). Those go out at WARN here, with the
 * error's type and how many times this process has logged that type (`errorType`, `errorCount`).
 *
 * Which errors: the protocol errors kafkajs's own table marks retriable (kafkajs/src/protocol/error.js,
 * read from the installed kafkajs, so the messages match exactly), and the ones its consumer answers by
 * re-joining the group (isRebalancing in kafkajs/src/errors.js: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
 * NOT_COORDINATOR_FOR_GROUP). Everything else stays at ERROR: a consumer crash, a connection
 * error, a refused authorization, a non-retriable protocol error. When retries run out, the caller
 * gets the error and reports it (the supervisor's `incarnation failed`, the CLI's exit), so the last
 * retried answer being a WARN hides nothing.
 *
 * kafkajs filters by its log level before calling this: at the default ERROR level the retried errors
 * still show, as WARN lines with their count. Every level goes to stderr (kafkajs's default writes
 * INFO and DEBUG to stdout, which `replay --json` and `trace --json` keep for their result).
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import type { LogEntry, logCreator } from 'kafkajs';

interface ProtocolErrorInfo {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
}

// Not part of kafkajs's typed API; kafkajs is pinned (package.json) and test/unit/kafka-log.test.ts
// checks that the errors named above are found.
const requireCjs = createRequire(import.meta.url);
const { errorCodes } = requireCjs('kafkajs/src/protocol/error.js') as { errorCodes: ProtocolErrorInfo[] };
const { isRebalancing } = requireCjs('kafkajs/src/errors.js') as { isRebalancing(e: { type: string }): boolean };

const byMessage = new Map(errorCodes.map((e) => [e.message, e]));
const { logLevel } = kafkajs;

const SEND_FAILED = 'Failed to send messages: ';

/**
 * The protocol error a kafkajs retry line reports: a broker answer (`[Connection] Response …` with the
 * error's message in `error`), the producer's `Failed to send messages: <message>`, the broker pool's
 * bare `<message>`. A consumer's `Crash: KafkaJSNumberOfRetriesExceeded: <message>` is not one: the
 * retries ran out.
 */
export function protocolErrorOf(log: LogEntry['log']): ProtocolErrorInfo | undefined {
  // The broker pool's last line passes an Error as the message.
  const text: unknown = log.message;
  const message = typeof text !== 'string' ? undefined : text.startsWith(SEND_FAILED) ? text.slice(SEND_FAILED.length) : text;
  return (
    (typeof log.error === 'string' ? byMessage.get(log.error) : undefined) ?? (message !== undefined ? byMessage.get(message) : undefined)
  );
}

/** True for the protocol errors kafkajs retries or answers with a re-join (see the module comment). */
export const isRecoveredByKafkajs = (e: { type: string; retriable: boolean }): boolean => e.retriable || isRebalancing(e);

export interface KafkaLogOptions {
  /** Where a line goes; default stderr. */
  write?: (line: string) => void;
  /** Times each retried error type was logged; default one map for the whole process. */
  counts?: Map<string, number>;
}

const processCounts = new Map<string, number>();

/** The logCreator given to every kafkajs client the bus builds (src/bus/kafka/bus.ts). */
export function kafkaLogCreator(opts: KafkaLogOptions = {}): logCreator {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  const counts = opts.counts ?? processCounts;
  return () =>
    ({ namespace, level, label, log }: LogEntry) => {
      let out: Record<string, unknown> = { level: label, ...log, message: `${namespace ? `[${namespace}] ` : ''}${log.message}` };
      if (level === logLevel.ERROR) {
        const err = protocolErrorOf(log);
        if (err !== undefined && isRecoveredByKafkajs(err)) {
          const n = (counts.get(err.type) ?? 0) + 1;
          counts.set(err.type, n);
          out = { ...out, level: 'WARN', errorType: err.type, errorCount: n };
        }
      }
      write(JSON.stringify(out));
    };
}
