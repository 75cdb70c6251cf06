export { createKafkaBus } from './bus.ts';
export type { KafkaBusOptions } from './bus.ts';
