/**
 * The producers and consumers a bus handed out, so `bus.close()` closes whatever is still
 * open, and a closed bus refuses to hand out more. Shared by both adapters.
 */
import { RouterError } from '../core/errors.ts';

interface Closable {
  close(): Promise<void>;
}

export class OpenClients {
  readonly #open = new Set<Closable>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Throws `RR_BUS` once the bus is closed. */
  assertOpen(): void {
    if (this.#closed) throw new RouterError('RR_BUS', 'bus is closed');
  }

  /** Remembers `client` until it closes itself. */
  track<T extends Closable>(client: T): T {
    this.assertOpen();
    this.#open.add(client);
    const close = client.close.bind(client);
    client.close = async () => {
      this.#open.delete(client);
      await close();
    };
    return client;
  }

  /** Marks the bus closed and closes every client still open (idempotent). */
  async closeAll(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#open].map((c) => c.close()));
  }
}
