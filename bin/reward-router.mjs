#!/usr/bin/env node
// The compiled CLI (dist/, written by `npm run build`) when dist/ exists: it starts fast. Otherwise
// the TypeScript sources through tsx's loader (a runtime dependency), so a checkout works without
// a build step. dist/ is not checked against the sources: after editing src/ or streams/, run
// `npm run build` again (or delete dist/); REWARD_ROUTER_FROM_SOURCE=1 runs the sources anyway.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (process.env.REWARD_ROUTER_FROM_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
