import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis, { Cluster } from 'ioredis';
import { killAndWait, spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/**
 * A real Redis Cluster of `n` primaries (no replicas) on free ports, made by `redis-cli --cluster create`, without
 * persistence. Needs `redis-server` and `redis-cli` on PATH (Debian's `redis-server` package has both).
 */
export class RedisCluster {
  private readonly clients = new Set<Redis | Cluster>();

  private constructor(
    readonly ports: number[],
    private readonly processes: ChildProcess[],
    private readonly dir: string,
  ) {}

  static async start(n = 3): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-test-'));
    const ports: number[] = [];
    for (let i = 0; i < n; i++) ports.push(await freePort());
    const processes = ports.map((port) =>
      spawnTracked(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        {},
      ),
    );
    const cluster = new RedisCluster(ports, processes, dir);
    started.add(cluster);
    for (const port of ports) {
      await waitFor(`cluster node ${port} to accept connections`, async () => {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'PING']);
        return stdout.trim() === 'PONG';
      });
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitFor('the cluster to be ok on every node', async () => {
      for (const port of ports) {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO']);
        if (!stdout.includes('cluster_state:ok')) return false;
      }
      return true;
    });
    return cluster;
  }

  /** An ioredis Cluster client; closed by `stop()`. */
  client(): Cluster {
    const client = new Cluster(
      this.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: 1, disconnectTimeout: 50 } },
    );
    client.on('error', () => undefined);
    this.clients.add(client);
    return client;
  }

  /** A plain client of one primary (by index), e.g. to see which keys landed on it. */
  node(index: number): Redis {
    const client = new Redis(this.ports[index], '127.0.0.1', { maxRetriesPerRequest: 1, disconnectTimeout: 50 });
    client.on('error', () => undefined);
    this.clients.add(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    this.clients.clear();
    await Promise.all(this.processes.map((child) => killAndWait(child, 'SIGTERM')));
    rmSync(this.dir, { recursive: true, force: true });
    started.delete(this);
  }
}

const started = new Set<RedisCluster>();

/** Starts a cluster for a test or suite; it is stopped after the test file even when a test throws. */
export const startRedisCluster = (n = 3): Promise<RedisCluster> => RedisCluster.start(n);

if (typeof afterAll === 'function') afterAll(() => Promise.all([...started].map((cluster) => cluster.stop())));
