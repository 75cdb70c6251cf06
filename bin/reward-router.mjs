#!/usr/bin/env node
// Signal handlers from the first line. Loading the CLI takes 1-2 s from the sources (less from dist/),
// and Node's default for SIGTERM/SIGINT in that time is to end the process by the signal (exit 143/130),
// which a process manager reads as a failure. Until the command takes over, a signal is remembered
// here instead: `run` installs its own handlers and then calls handOver(), which gives them the
// remembered signal (it stops before opening anything and exits 0); any other command calls
// handOver() as its action starts, which exits 0 if a signal came (nothing has started yet) and
// otherwise gives the signals their default back. A second signal before the handover exits 0 at
// once: nothing is open before it. Node's own bootstrap before this line (about 0.1 s) is out of reach.
const EARLY = Symbol.for('reward-router.early-signals');
let received = null;
let handedOver = false;
const remember = (signal) => {
  if (received !== null) process.exit(0);
  received = signal;
};
process.on('SIGTERM', remember);
process.on('SIGINT', remember);
globalThis[EARLY] = {
  handOver() {
    if (handedOver) return;
    handedOver = true;
    process.off('SIGTERM', remember);
    process.off('SIGINT', remember);
    if (received === null) return;
    if (process.listenerCount(received) > 0) process.emit(received, received);
    else {
      process.stderr.write(`reward-router: ${received} before the command started; exiting 0\n`);
      process.exit(0);
    }
  },
};

// The compiled CLI (dist/, written by `npm run build`) when dist/ exists: it starts fast. Otherwise
// the TypeScript sources through tsx's loader (a runtime dependency), so a checkout works without
// a build step. dist/ is not checked against the sources: after editing src/ or streams/, run
// `npm run build` again (or delete dist/); REWARD_ROUTER_FROM_SOURCE=1 runs the sources anyway.
const { existsSync } = await import('node:fs');
const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (process.env.REWARD_ROUTER_FROM_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
