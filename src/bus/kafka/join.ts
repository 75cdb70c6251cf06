/** Waiting for kafkajs consumer events with a deadline, rejecting when the consumer crashes. */
import type { Consumer } from 'kafkajs';
import { RouterError } from '../../core/errors.ts';

/**
 * Resolves on the consumer's next GROUP_JOIN (its assignment is known from then on). Register it
 * before consumer.run(): the join may happen before run() resolves.
 */
export function waitForJoin(consumer: Consumer, timeoutMs: number, groupId: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const removers: Array<() => void> = [];
    const done = (err?: unknown): void => {
      clearTimeout(timer);
      for (const remove of removers) remove();
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(
      () =>
        done(new RouterError('RR_BUS', `consumer of group ${groupId} did not join within ${timeoutMs} ms`, { groupId, retriable: true })),
      timeoutMs,
    );
    removers.push(consumer.on(consumer.events.GROUP_JOIN, () => done()));
    removers.push(
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        done(
          new RouterError('RR_BUS', `consumer of group ${groupId} crashed before joining: ${payload.error.message}`, {
            groupId,
            cause: payload.error,
          }),
        ),
      ),
    );
  });
}
