// The bus: one interface, two adapters (docs/bus.md).
export type * from './types.ts';
export { murmur2, partitionForKey } from './partitioner.ts';
export { consumeBatches, InFlightGate } from './flow.ts';
export type { AckableBatch } from './flow.ts';
export { counterClock, createMemoryBus } from './memory/index.ts';
export type { MemoryBus, MemoryBusOptions } from './memory/index.ts';
export { createKafkaBus } from './kafka/index.ts';
export type { KafkaBusOptions } from './kafka/index.ts';
