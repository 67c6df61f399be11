import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { freePort } from './free-port';
import { type RedisServer, startRedis } from './redis-server';
import { waitFor } from './wait-for';

/**
 * A Redis Cluster of real redis-server processes on free ports (primaries only, no persistence), made with
 * `redis-cli --cluster create`. Its nodes are ordinary `RedisServer`s, stopped after the test file.
 */
export class RedisCluster {
  private readonly clients = new Set<Redis | Cluster>();
  private admin: Cluster | undefined;

  private constructor(readonly nodes: RedisServer[]) {}

  static async start(primaries = 3): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: primaries }, async () =>
        startRedis([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
          // The bus on a free port of its own (by default port + 10000, which may be taken or out of range).
          '--cluster-port',
          String(await freePort()),
        ]),
      ),
    );
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    try {
      await promisify(execFile)('redis-cli', [
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`redis-cli --cluster create failed (is redis-cli on PATH?): ${stdout}${stderr}`);
    }
    await waitFor('every node to report cluster_state:ok', async () => {
      for (const node of nodes)
        if (!(await node.command(['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false;
      return true;
    });
    const cluster = new RedisCluster(nodes);
    started.add(cluster);
    return cluster;
  }

  /** An ioredis Cluster client for the test's own use (or to hand to a library); closed after the test file. */
  client(): Cluster {
    const client = new Cluster(
      this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      { redisOptions: { maxRetriesPerRequest: 1, disconnectTimeout: 50 } },
    );
    client.on('error', () => undefined);
    this.clients.add(client);
    return client;
  }

  /** A plain client of one primary (by index), e.g. to see which keys landed on it; closed after the test file. */
  node(index: number): Redis {
    const client = new Redis(this.nodes[index].port, '127.0.0.1', { maxRetriesPerRequest: 1, disconnectTimeout: 50 });
    client.on('error', () => undefined);
    this.clients.add(client);
    return client;
  }

  /** The node that serves `key`'s slot. */
  async nodeFor(key: string): Promise<RedisServer> {
    const slot = Number(await this.nodes[0].command(['CLUSTER', 'KEYSLOT', key]));
    // One client for every lookup, closed with the others.
    this.admin ??= this.client();
    const slots = await this.admin.cluster('SLOTS');
    const [, , primary] = slots.find(([from, to]) => slot >= from && slot <= to)!;
    return this.nodes.find((node) => node.port === primary[1])!;
  }

  disconnect(): void {
    for (const client of this.clients) client.disconnect();
    this.clients.clear();
    this.admin = undefined;
  }
}

const started = new Set<RedisCluster>();

/** Starts a Redis Cluster for a test file; its clients are closed after the file, its nodes stopped with them. */
export function startRedisCluster(primaries?: number): Promise<RedisCluster> {
  return RedisCluster.start(primaries);
}

if (typeof afterAll === 'function') afterAll(() => [...started].forEach((cluster) => cluster.disconnect()));
