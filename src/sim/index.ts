/** The simulated online-DPO data source (docs/simulator.md). */
export * from './config.ts';
export * from './labels.ts';
export * from './mix.ts';
export * from './offline.ts';
export * from './offlineFile.ts';
export * from './profiles.ts';
export * from './profilesFile.ts';
export * from './scenarios.ts';
export * from './shift.ts';
export * from './stream.ts';
export * from './trainer.ts';
export * from './validate.ts';
export * from './world.ts';
export * from './pool.ts';
export * from './backend.ts';
