import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAndWait, spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { type RedisServer, redisBinary, redisCommand, startRedis } from './redis-server';
import { waitFor } from './wait-for';

export interface SentinelGroupOptions {
  replicas?: number;
  sentinels?: number;
  name?: string;
  /** Sentinel's `down-after-milliseconds`: how long the primary may be silent before a failover starts. */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout` (a failed failover is retried after twice this). */
  failoverTimeoutMs?: number;
  /**
   * Every node and Sentinel also listens with TLS (`cert`, signed by `ca`), and Sentinels and replicas reach the
   * nodes through it, so the addresses the Sentinels give out are TLS ports. Plain ports stay for the test's calls.
   */
  tls?: { cert: string; key: string; ca: string };
  /** With `tls`: the nodes present this certificate (signed by `tls.ca`) instead of `tls`'s; the Sentinels keep it. */
  nodeCertificate?: { cert: string; key: string };
}

// A replica's full resync starts at once instead of waiting 5 s for more replicas to join it.
const NODE_ARGS = ['--repl-diskless-sync-delay', '0'];
/** The port the group's nodes and Sentinels reach `node` on: its TLS port in a TLS group. */
const linkPort = (node: RedisServer) => node.tlsPort ?? node.port;
const replicaArgs = (nodeArgs: string[], primary: RedisServer) => [
  ...nodeArgs,
  '--replicaof',
  '127.0.0.1',
  String(linkPort(primary)),
];

/** One redis-sentinel process with its own (rewritable) config file. */
class Sentinel {
  private process: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly config: string,
    private readonly binary: string,
    readonly tlsPort?: number,
  ) {}

  async launch(): Promise<void> {
    const child = spawnTracked(this.binary, [this.config], {});
    this.process = child;
    await waitFor(`redis-sentinel on port ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-sentinel exited with ${child.exitCode}`);
      return (await this.call('PING')) === 'PONG';
    });
  }

  call(...args: string[]): Promise<unknown> {
    return redisCommand(this.port, args);
  }

  stop(): Promise<void> {
    return this.process ? killAndWait(this.process) : Promise.resolve();
  }
}

/**
 * A primary with replicas and Sentinels, all real processes on free ports, no persistence (a restarted node comes
 * back empty). Node 0 starts as the primary; after failovers `primary()` asks the Sentinels which one it is.
 */
export class SentinelGroup {
  private constructor(
    readonly name: string,
    readonly nodes: RedisServer[],
    private readonly sentinels: Sentinel[],
    private readonly dir: string,
    private readonly nodeArgs: string[],
  ) {}

  static async start(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
    const binary = redisBinary('redis-sentinel');
    const name = options.name ?? 'mymaster';
    const { tls } = options;
    const nodeTls = tls && { ...tls, ...options.nodeCertificate };
    const nodeArgs = tls ? [...NODE_ARGS, '--tls-replication', 'yes'] : NODE_ARGS;
    const primary = await startRedis(nodeArgs, { tls: nodeTls });
    const replicas = await Promise.all(
      Array.from({ length: options.replicas ?? 2 }, () => startRedis(replicaArgs(nodeArgs, primary), { tls: nodeTls })),
    );
    const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-test-'));
    const sentinels = await Promise.all(
      Array.from({ length: options.sentinels ?? 3 }, async (_, i) => {
        const port = await freePort();
        const tlsPort = tls ? await freePort() : undefined;
        const config = join(dir, `sentinel-${i}.conf`);
        writeFileSync(
          config,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            ...(tls
              ? [
                  `tls-port ${tlsPort}`,
                  `tls-cert-file ${tls.cert}`,
                  `tls-key-file ${tls.key}`,
                  `tls-ca-cert-file ${tls.ca}`,
                  'tls-auth-clients no',
                  'tls-replication yes',
                ]
              : []),
            `sentinel monitor ${name} 127.0.0.1 ${linkPort(primary)} ${Math.floor((options.sentinels ?? 3) / 2) + 1}`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
            `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 2_000}`,
            `sentinel parallel-syncs ${name} ${options.replicas ?? 2}`,
          ].join('\n') + '\n',
        );
        return new Sentinel(port, config, binary, tlsPort);
      }),
    );
    const group = new SentinelGroup(name, [primary, ...replicas], sentinels, dir, nodeArgs);
    started.add(group);
    await group.waitForReplicas(replicas.length, primary);
    await Promise.all(sentinels.map((sentinel) => sentinel.launch()));
    // Until every Sentinel knows the replicas and the other Sentinels, a failover could not reach its quorum.
    await waitFor(
      'every Sentinel to know the replicas and the other Sentinels',
      async () => {
        for (const sentinel of sentinels) {
          const known = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as unknown[];
          const peers = (await sentinel.call('SENTINEL', 'SENTINELS', name)) as unknown[];
          if (known.length < replicas.length || peers.length < sentinels.length - 1) return false;
        }
        return true;
      },
      30_000,
    );
    return group;
  }

  /** `host:port,host:port,…` of the Sentinels, as `REDIS_SENTINELS` takes it (their TLS ports in a TLS group). */
  get sentinelList(): string {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.tlsPort ?? sentinel.port}`).join(',');
  }

  /** The node the Sentinels currently name as primary (asking each until one answers). */
  async primary(): Promise<RedisServer> {
    for (const sentinel of this.sentinels) {
      try {
        const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as [string, string];
        const node = this.nodes.find((n) => linkPort(n) === Number(port));
        if (node) return node;
      } catch {
        // this Sentinel is unreachable; ask the next
      }
    }
    throw new Error(`No Sentinel names a primary for ${this.name}.`);
  }

  /**
   * Waits until every Sentinel names the same primary, other than `previous`, and it answers as a primary: one
   * Sentinel's word is not enough, as a failover that times out is retried and may promote another replica.
   */
  async waitForFailover(previous: RedisServer, timeoutMs = 20_000): Promise<RedisServer> {
    return waitFor(
      `the Sentinels to agree on a replica promoted in place of port ${previous.port}`,
      async () => {
        const named = await Promise.all(
          this.sentinels.map(async (sentinel) => {
            const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as string[];
            return this.nodes.find((node) => linkPort(node) === Number(port));
          }),
        );
        const [primary] = named;
        if (!primary || primary === previous || named.some((node) => node !== primary)) return false;
        return (await primary.command(['ROLE'])).startsWith('master') && primary;
      },
      timeoutMs,
    );
  }

  /**
   * SIGKILL and start `node` again empty: as a replica of the current primary, or (`asPrimary`) as a primary
   * without replicas, like a restarted primary before the Sentinels noticed it was gone.
   */
  async restart(node: RedisServer, options: { asPrimary?: boolean } = {}): Promise<void> {
    if (options.asPrimary) return node.restart(this.nodeArgs);
    await node.kill();
    await node.start(replicaArgs(this.nodeArgs, await this.primary()));
  }

  /** Waits until the primary (by default the one the Sentinels name) has `count` replicas acknowledging writes. */
  async waitForReplicas(count: number, primary?: RedisServer, timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `the primary to have ${count} replicas online and acknowledging writes`,
      async () => {
        const node = primary ?? (await this.primary());
        const info = await node.command(['INFO', 'replication']);
        if ([...info.matchAll(/^slave\d+:.*state=online/gm)].length < count) return false;
        return (await node.replicasAcknowledging(count)) >= count;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.sentinels.map((sentinel) => sentinel.stop()));
    await Promise.all(this.nodes.map((node) => node.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const started = new Set<SentinelGroup>();

/** Starts a Sentinel-managed group for a test file; it is stopped after the file even when a test throws. */
export function startSentinelGroup(options?: SentinelGroupOptions): Promise<SentinelGroup> {
  return SentinelGroup.start(options);
}

if (typeof afterAll === 'function') afterAll(() => Promise.all([...started].map((group) => group.stop())));
