// On the real broker: the loop's first RM is an HTTP RM (OpenRLHF protocol, a server on 127.0.0.1)
// that is stopped after batch 1 and started again after batch 3. The loop finishes, every pair
// routed to it has a Score (scored or unscored), every unscored pair is dead-lettered
// (RM_UNAVAILABLE), no label uses one, and the counts add up (test/helpers/rmOutage.ts).
import { after, describe, it } from 'node:test';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { counterClock } from '../../src/bus/memory/index.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, testLogLevel, uniqueName } from '../helpers/kafka.ts';
import { checkOutage, outageRun } from '../helpers/rmOutage.ts';

describe('an HTTP RM outage mid-run on the real broker', { timeout: 180_000 }, () => {
  const buses: Bus[] = [];
  after(async () => {
    await Promise.all(buses.map((b) => b.close().catch(() => {})));
  });

  it('server stopped after batch 1, restarted after batch 3: the loop finishes, no pair lost, counts add up', async () => {
    const bus = createKafkaBus({
      brokers: brokersFromEnv(),
      clientId: uniqueName('outage'),
      logLevel: testLogLevel(),
      consumerTiming: TEST_CONSUMER_SETTINGS,
    });
    buses.push(bus);
    checkOutage(await outageRun(bus, `${uniqueName('outage')}.`, { batches: 6, downAt: 1, upAt: 3, clock: counterClock() }), 6, true);
  });
});
