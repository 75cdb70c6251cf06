// The loop with a real HTTP RM (an OpenRLHF server on 127.0.0.1) on the in-process bus: stopped
// mid-run and started again, or left down. The loop finishes; every pair routed to that RM has
// a Score, scored or unscored; every unscored pair has its dead letter; no label uses an unscored
// pair; the counts add up. (The same on the real broker: test/integration/rm-outage-kafka.test.ts.)
import { describe, it } from 'node:test';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import { checkOutage, outageRun } from '../helpers/rmOutage.ts';

describe('an HTTP RM outage mid-run (in-process bus)', { timeout: 120_000 }, () => {
  it('server stopped after batch 1, restarted after batch 3', async () => {
    const bus = createMemoryBus();
    try {
      checkOutage(await outageRun(bus, 'o1.', { batches: 6, downAt: 1, upAt: 3, clock: counterClock() }), 6, true);
    } finally {
      await bus.close();
    }
  });

  it('server stopped after batch 1 and left down', async () => {
    const bus = createMemoryBus();
    try {
      checkOutage(await outageRun(bus, 'o2.', { batches: 4, downAt: 1, upAt: null, clock: counterClock() }), 4, false);
    } finally {
      await bus.close();
    }
  });
});
