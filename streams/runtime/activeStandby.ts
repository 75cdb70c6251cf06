/**
 * Active/standby for the apps that must have one writer per training run (the aggregator, the
 * store): every instance joins the lease group `<prefix><name>.lease` (src/bus/kafka/lease.ts);
 * only the lease holder starts the app. A standby that gets the lease (the holder died or left)
 * starts it then: its transactional id fences the old writer and it restores from the topics, as a
 * restart does. Losing the lease while active is a failure of the incarnation (the supervisor
 * replaces it, and the fresh one comes back as a standby). On a bus without leases (in-process)
 * the app starts at once.
 */
import { RouterError } from '../../src/core/errors.ts';
import { topicName } from '../../src/records/topics.ts';
import type { AppFactory, AppHandle } from './context.ts';

export function activeStandby(name: string, factory: AppFactory): AppFactory {
  return async (ctx) => {
    const { bus, settings: s } = ctx;
    if (bus.lease === undefined) return factory(ctx);
    const log = ctx.log.namespace(name);
    let app: AppHandle | null = null;
    let starting: Promise<void> | null = null;
    const fail = (err: unknown): void => {
      if (ctx.onFatal) ctx.onFatal(err);
      else log.error('lease failed', { err: String(err) });
    };
    // The lease's partitions are those of `dlq`: it exists in every loop and is rarely written.
    const lease = await bus.lease({
      groupId: `${s.prefix}${name}.lease`,
      topic: topicName(s.prefix, 'dlq'),
      onError: fail,
      onChange: (active) => {
        if (active && starting === null) {
          log.info('active: holding the lease, starting');
          starting = factory(ctx).then((h) => {
            app = h;
          }, fail);
        } else if (!active && starting !== null) {
          fail(new RouterError('RR_BUS', `${name}: lost the lease while active`, { retriable: true }));
        }
      },
    });
    if (!lease.active) log.info('standby: another instance holds the lease');
    return {
      name,
      stats: () => ({ active: app !== null ? 1 : 0, ...(app?.stats() ?? {}) }),
      async close() {
        await starting;
        await app?.close();
        await lease.close();
      },
    };
  };
}
