export { counterClock, createMemoryBus } from './bus.ts';
export type { MemoryBus, MemoryBusOptions } from './bus.ts';
