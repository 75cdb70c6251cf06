/**
 * Attribute names. Messaging ones follow the OpenTelemetry messaging semantic conventions (Kafka
 * flavour; still "development" there, so the names of the version the kafkajs instrumentation
 * emits are used); the HTTP ones (an RM call) the stable HTTP client conventions; `rr.*` are this
 * project's: the routing decision and the loop's own keys.
 */
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  key: 'messaging.kafka.message.key',
  group: 'messaging.consumer.group.name',
  batchCount: 'messaging.batch.message_count',
  stage: 'rr.stage',
  run: 'rr.run',
  batch: 'rr.batch',
  promptId: 'rr.prompt.id',
  pairId: 'rr.pair.id',
  method: 'rr.method',
  seed: 'rr.seed',
  posteriorVersion: 'rr.posterior.version',
  arms: 'rr.arms',
  chosenRm: 'rr.decision.rm',
  chosenArm: 'rr.decision.arm',
  means: 'rr.arm.means',
  stds: 'rr.arm.stds',
  samples: 'rr.arm.samples',
  transactional: 'rr.transactional',
  rm: 'rr.rm',
  reward: 'rr.reward',
  loss: 'rr.loss',
  reason: 'rr.dead_letter.reason',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  urlFull: 'url.full',
  errorType: 'error.type',
} as const;
