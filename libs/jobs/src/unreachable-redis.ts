import { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** What is used of an ioredis client (BullMQ's connections are ioredis clients). */
export interface RedisClientLike {
  readonly status: string;
  disconnect(): void;
  connect(): Promise<void>;
  once(event: 'reconnecting' | 'end', listener: () => void): unknown;
}

/**
 * The client behind a BullMQ connection's promise if it exists now, without waiting: the promise settles only once
 * the first connection is made, which never happens while Redis is unreachable.
 */
export async function clientNow<C>(client: Promise<C>): Promise<C | undefined> {
  return Promise.race([client.catch(() => undefined), nextTurn(undefined)]);
}

/**
 * Ends a client at once, failing its queued commands as a closed connection (which BullMQ ignores while closing).
 * Needed because ioredis keeps a command queued while it waits to reconnect, with no limit when
 * `maxRetriesPerRequest` is null (BullMQ's workers), and `disconnect()` alone leaves a client waiting to reconnect
 * with no socket to close: it never ends and its commands (QUIT, the worker's blocking wait) never settle. One last
 * connection attempt made after `disconnect()` ends it, as it is now marked as closing. The same holds for a
 * `Cluster` that lost every node (it shows `disconnecting` after `disconnect()`, where a `Redis` still shows
 * `reconnecting`), so the status is read before.
 */
export function endClient(client: RedisClientLike): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  const waitingToReconnect = client.status === 'reconnecting';
  client.disconnect();
  if (waitingToReconnect) client.connect().catch(() => undefined);
  return ended;
}

/** What is used of BullMQ's wrapper around a client (`RedisConnection`). */
export interface BullConnectionLike {
  close(force: boolean): Promise<void>;
}

/**
 * Lets a graceful close (QUIT) go on while `client` reaches Redis, and ends it at once when it cannot: now
 * (resolved once it has ended), or as soon as it loses Redis during the close.
 * `connection`, BullMQ's wrapper of `client`, is closed with it: a worker retries recording a finished job's outcome
 * without pause once it is closing, and stops only when its connection says it is closing. Ending the client alone
 * makes every retry fail at once, a loop of promises that starves the event loop (the process hangs, timers dead).
 */
export async function endWhenUnreachable(
  client: RedisClientLike | undefined,
  connection?: BullConnectionLike,
): Promise<void> {
  if (!client) return;
  const end = (): Promise<void> => {
    connection?.close(true).catch(() => undefined);
    return endClient(client);
  };
  if (client.status === 'ready') client.once('reconnecting', () => void end());
  else await end();
}

/**
 * BullMQ 5's `RedisConnection` chains `init().catch((error) => this.emit('error', error))` in its constructor, and
 * its `close()` removes every listener. Closed before it ever reached Redis, its `init()` rejects after that (when
 * ioredis ends the client), and `emit('error')` without a listener throws: an unhandled rejection, and the process
 * exits 1 in the middle of a graceful shutdown. A no-op 'error' listener put back whenever the listeners are
 * removed keeps that late error handled. Applied to a worker's or queue's connections (`connection`,
 * `blockingConnection`).
 */
export function keepLateConnectionErrorsHandled(owner: object): void {
  for (const key of ['connection', 'blockingConnection']) {
    const connection = (owner as Record<string, unknown>)[key];
    if (!(connection instanceof EventEmitter)) continue;
    const removeAllListeners = connection.removeAllListeners.bind(connection);
    connection.removeAllListeners = (event?: string | symbol) => {
      // Node tells "all events" from an explicit undefined by the number of arguments.
      if (event === undefined) removeAllListeners();
      else removeAllListeners(event);
      if (event === undefined || event === 'error') connection.on('error', () => undefined);
      return connection;
    };
  }
}
