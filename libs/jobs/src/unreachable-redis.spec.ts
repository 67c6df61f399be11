import Redis, { Cluster } from 'ioredis';
import { type RedisServer, startRedis, startRedisCluster } from '../../../test/support';
import { clientNow, endClient, endWhenUnreachable } from './unreachable-redis';

// Real redis-server and ioredis clients: the point is ioredis's behaviour while it waits to reconnect.
describe('ending clients that cannot reach Redis', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];

  beforeEach(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(endClient));
    await redis.stop();
  });

  // Not events.once: it rejects on the 'error' events a client emits as it loses Redis.
  const next = (client: Redis, event: string) => new Promise<void>((resolve) => client.once(event, () => resolve()));

  /** A client like a BullMQ worker's: commands wait for Redis with no limit; reconnects far apart. */
  const workerLike = async () => {
    const client = new Redis(redis.port, '127.0.0.1', {
      maxRetriesPerRequest: null,
      retryStrategy: () => 60_000,
      disconnectTimeout: 50,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await next(client, 'ready');
    return client;
  };

  it('control: disconnect() alone leaves a client waiting to reconnect, with its queued command pending', async () => {
    const client = await workerLike();
    const reconnecting = next(client, 'reconnecting');
    await redis.kill();
    await reconnecting;
    let settled = false;
    const settle = () => (settled = true);
    void client.get('key').then(settle, settle);
    client.disconnect();
    // A round trip of the event loop later, nothing has happened, and nothing ever will (no socket, no timer).
    await new Promise((resolve) => setImmediate(resolve));
    expect({ status: client.status, settled }).toEqual({ status: 'reconnecting', settled: false });
  });

  it('endClient ends it and fails its queued command as a closed connection', async () => {
    const client = await workerLike();
    const reconnecting = next(client, 'reconnecting');
    await redis.kill();
    await reconnecting;
    const pending = client.get('key');
    await endClient(client);
    expect(client.status).toBe('end');
    await expect(pending).rejects.toThrow('Connection is closed.');
  });

  it('endWhenUnreachable leaves a connected client alone until it loses Redis, then ends it', async () => {
    const client = await workerLike();
    await endWhenUnreachable(client);
    expect(await client.ping()).toBe('PONG');
    const ended = next(client, 'end');
    await redis.kill();
    await ended;
  });

  it('clientNow does not wait for a connection that is never made', async () => {
    expect(await clientNow(new Promise<never>(() => undefined))).toBeUndefined();
    expect(await clientNow(Promise.reject(new Error('ECONNREFUSED')))).toBeUndefined();
    expect(await clientNow(Promise.resolve('client'))).toBe('client');
  });
});

// The same for a Cluster client (a BullMQ worker's on Redis Cluster): once it has lost every node it waits to
// reconnect with no connection at all, and disconnect() alone leaves it so.
describe('ending Cluster clients that lost every node', () => {
  /** A Cluster client like a BullMQ worker's, once every node of its cluster is dead: queued commands wait. */
  const orphanedWorkerLike = async () => {
    const cluster = await startRedisCluster(3);
    const client = new Cluster(
      cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      { redisOptions: { maxRetriesPerRequest: null }, clusterRetryStrategy: () => 60_000 },
    );
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    // Every node connected (the pool connects to a node on its first command), so that each one's death is seen.
    await Promise.all(client.nodes('master').map((node) => node.ping()));
    const reconnecting = new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
    await Promise.all(cluster.nodes.map((node) => node.kill()));
    await reconnecting;
    let settled = false;
    const pending = client.get('key');
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    return { client, pending, settled: () => settled };
  };

  it('control: disconnect() alone leaves it disconnecting, with its queued command pending', async () => {
    const { client, settled } = await orphanedWorkerLike();
    client.disconnect();
    await new Promise((resolve) => setImmediate(resolve));
    expect({ status: client.status, settled: settled() }).toEqual({ status: 'disconnecting', settled: false });
    // Ended as endClient does it: one last connection attempt, made while it is marked as closing.
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.connect().catch(() => undefined);
    await ended;
  });

  it('endClient ends it and fails its queued command', async () => {
    const { client, pending } = await orphanedWorkerLike();
    await endClient(client);
    expect(client.status).toBe('end');
    await expect(pending).rejects.toThrow();
  });
});
