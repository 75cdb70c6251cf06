#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader (a runtime dependency), so the
// installed command works without a separate build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
