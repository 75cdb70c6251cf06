// The bus's kafkajs logCreator (src/bus/kafka/log.ts): kafkajs-shaped log entries, made by a kafkajs
// client's own logger with the messages of kafkajs's own errors, go out as JSON lines; errors kafkajs
// retries or answers with a re-join are WARN with a running count per type, real failures stay ERROR.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { kafkaLogCreator, protocolErrorOf } from '../../src/bus/kafka/log.ts';

const { Kafka, logLevel } = kafkajs;
delete process.env.KAFKAJS_LOG_LEVEL; // kafkajs lets it override the level given below

const requireCjs = createRequire(import.meta.url);
const { createErrorFromCode } = requireCjs('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error & { type: string };
};
/** kafkajs's own error for a protocol error code (its message is what kafkajs logs). */
const protocolError = (code: number) => createErrorFromCode(code);

function capture(level = logLevel.ERROR) {
  const lines: Record<string, unknown>[] = [];
  const counts = new Map<string, number>();
  // No connection is made: only the client's logger is used.
  const kafka = new Kafka({
    brokers: ['127.0.0.1:9'],
    clientId: 'kafka-log-test',
    logLevel: level,
    logCreator: kafkaLogCreator({ write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), counts }),
  });
  return { logger: kafka.logger(), lines, counts };
}

/** What kafkajs's Connection logs for a broker answer with an error (network/connection.js). */
const responseError = (apiName: string, code: number) =>
  [
    `Response ${apiName}(key: 0, version: 1)`,
    { broker: '127.0.0.1:9092', clientId: 'c', error: protocolError(code).message, correlationId: 7, size: 40 },
  ] as const;

describe('kafkajs log lines', () => {
  it('the retried errors named in issue 19 are WARN, with a running count per type', () => {
    const { logger, lines, counts } = capture();
    const conn = logger.namespace('Connection');
    const cases: [string, number, string][] = [
      ['AddPartitionsToTxn', 51, 'CONCURRENT_TRANSACTIONS'],
      ['AddPartitionsToTxn', 51, 'CONCURRENT_TRANSACTIONS'],
      ['Produce', 6, 'NOT_LEADER_FOR_PARTITION'], // NOT_LEADER_OR_FOLLOWER in Kafka's own names
      ['InitProducerId', 14, 'GROUP_LOAD_IN_PROGRESS'], // COORDINATOR_LOAD_IN_PROGRESS
      ['FindCoordinator', 15, 'GROUP_COORDINATOR_NOT_AVAILABLE'], // COORDINATOR_NOT_AVAILABLE
      ['Heartbeat', 16, 'NOT_COORDINATOR_FOR_GROUP'], // NOT_COORDINATOR
      ['Heartbeat', 27, 'REBALANCE_IN_PROGRESS'], // not retriable in kafkajs's table: its consumer re-joins
      ['OffsetCommit', 22, 'ILLEGAL_GENERATION'], // re-join as well
      ['Metadata', 5, 'LEADER_NOT_AVAILABLE'],
      ['Produce', 6, 'NOT_LEADER_FOR_PARTITION'],
      ['EndTxn', 51, 'CONCURRENT_TRANSACTIONS'],
    ];
    for (const [api, code] of cases) conn.error(...responseError(api, code));
    assert.deepEqual(
      lines.map((l) => [l.level, l.errorType, l.errorCount]),
      [
        ['WARN', 'CONCURRENT_TRANSACTIONS', 1],
        ['WARN', 'CONCURRENT_TRANSACTIONS', 2],
        ['WARN', 'NOT_LEADER_FOR_PARTITION', 1],
        ['WARN', 'GROUP_LOAD_IN_PROGRESS', 1],
        ['WARN', 'GROUP_COORDINATOR_NOT_AVAILABLE', 1],
        ['WARN', 'NOT_COORDINATOR_FOR_GROUP', 1],
        ['WARN', 'REBALANCE_IN_PROGRESS', 1],
        ['WARN', 'ILLEGAL_GENERATION', 1],
        ['WARN', 'LEADER_NOT_AVAILABLE', 1],
        ['WARN', 'NOT_LEADER_FOR_PARTITION', 2],
        ['WARN', 'CONCURRENT_TRANSACTIONS', 3],
      ],
    );
    assert.deepEqual(Object.fromEntries(counts), {
      CONCURRENT_TRANSACTIONS: 3,
      NOT_LEADER_FOR_PARTITION: 2,
      GROUP_LOAD_IN_PROGRESS: 1,
      GROUP_COORDINATOR_NOT_AVAILABLE: 1,
      NOT_COORDINATOR_FOR_GROUP: 1,
      REBALANCE_IN_PROGRESS: 1,
      ILLEGAL_GENERATION: 1,
      LEADER_NOT_AVAILABLE: 1,
    });
    // kafkajs's own line otherwise: namespace in the message, its fields kept.
    assert.equal(lines[0]!.message, '[Connection] Response AddPartitionsToTxn(key: 0, version: 1)');
    assert.equal(lines[0]!.logger, 'kafkajs');
    assert.equal(lines[0]!.error, protocolError(51).message);
    assert.equal(lines[0]!.broker, '127.0.0.1:9092');
    assert.equal(typeof lines[0]!.timestamp, 'string');
  });

  it("the producer's and the broker pool's retry lines (error in the message) are WARN too", () => {
    const { logger, lines } = capture();
    logger.namespace('Producer').error(`Failed to send messages: ${protocolError(6).message}`, { retryCount: 0, retryTime: 300 });
    logger.namespace('BrokerPool').error(protocolError(15).message, { retryCount: 1, retryTime: 600 });
    assert.deepEqual(
      lines.map((l) => [l.level, l.errorType, l.errorCount, l.retryCount]),
      [
        ['WARN', 'NOT_LEADER_FOR_PARTITION', 1, 0],
        ['WARN', 'GROUP_COORDINATOR_NOT_AVAILABLE', 1, 1],
      ],
    );
  });

  it('real failures stay ERROR and are not counted', () => {
    const { logger, lines, counts } = capture();
    const conn = logger.namespace('Connection');
    conn.error(...responseError('Produce', 29)); // TOPIC_AUTHORIZATION_FAILED
    conn.error(...responseError('AddPartitionsToTxn', 53)); // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    conn.error(...responseError('Produce', 47)); // INVALID_PRODUCER_EPOCH (fenced)
    conn.error(...responseError('Heartbeat', 25)); // UNKNOWN_MEMBER_ID: kafkajs re-joins, but the member was dropped
    conn.error('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { stack: 'Error: connect ECONNREFUSED' });
    logger.namespace('Consumer').error('Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available', {
      groupId: 'g',
      retryCount: 5,
    });
    // The broker pool logs a non-retriable error itself as the message (cluster/brokerPool.js).
    logger.namespace('BrokerPool').error(protocolError(29) as unknown as string, { retryCount: 0 });
    assert.deepEqual(
      lines.map((l) => [l.level, l.errorType]),
      Array.from({ length: 7 }, () => ['ERROR', undefined]),
    );
    assert.equal(counts.size, 0);
  });

  it('WARN, INFO and DEBUG lines pass as they are, and the level filter is kafkajs’s', () => {
    const { logger, lines } = capture(logLevel.DEBUG);
    logger.namespace('Runner').warn('The group is rebalancing, re-joining', { groupId: 'g', error: protocolError(27).message });
    logger.namespace('Consumer').info('Starting', { groupId: 'g' });
    logger.debug('Request Metadata(key: 3, version: 6)', { correlationId: 1 });
    assert.deepEqual(
      lines.map((l) => [l.level, l.message, l.errorCount]),
      [
        ['WARN', '[Runner] The group is rebalancing, re-joining', undefined],
        ['INFO', '[Consumer] Starting', undefined],
        ['DEBUG', 'Request Metadata(key: 3, version: 6)', undefined],
      ],
    );
    const quiet = capture(logLevel.NOTHING);
    quiet.logger.error(...responseError('Produce', 6));
    assert.deepEqual(quiet.lines, []);
  });

  it('counts run per process by default, across clients', () => {
    const lines: string[] = [];
    const mk = () =>
      new Kafka({
        brokers: ['127.0.0.1:9'],
        clientId: 'k',
        logLevel: logLevel.ERROR,
        logCreator: kafkaLogCreator({ write: (l) => lines.push(l) }),
      });
    const [a, b] = [mk(), mk()];
    a.logger().error(...responseError('Produce', 80)); // PREFERRED_LEADER_NOT_AVAILABLE: not used elsewhere in this file
    b.logger().error(...responseError('Produce', 80));
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { errorCount: number }).errorCount),
      [1, 2],
    );
  });

  it('finds the protocol error in an entry, or none', () => {
    assert.equal(protocolErrorOf({ timestamp: '', message: 'x', error: protocolError(51).message })?.type, 'CONCURRENT_TRANSACTIONS');
    assert.equal(protocolErrorOf({ timestamp: '', message: protocolError(5).message })?.type, 'LEADER_NOT_AVAILABLE');
    assert.equal(
      protocolErrorOf({ timestamp: '', message: `Crash: KafkaJSNumberOfRetriesExceeded: ${protocolError(5).message}` }),
      undefined,
    );
    assert.equal(protocolErrorOf({ timestamp: '', message: 'Response Produce(key: 0, version: 7)', error: 'socket hang up' }), undefined);
  });
});
