import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { killAndWait, spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

/** The path of `redis-server` or `redis-sentinel`, or an error saying how to install it. */
export function redisBinary(name: 'redis-server' | 'redis-sentinel'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `${name} is not on PATH. Tests that need Redis start real ${name} processes; install it with ` +
        `\`apt-get install -y ${name}\` (Debian/Ubuntu) or \`brew install redis\` (macOS).`,
    );
  }
}

/** Runs one command on a short-lived connection to `127.0.0.1:port` and returns its reply. */
export async function redisCommand(port: number, args: string[]): Promise<unknown> {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, lazyConnect: true, disconnectTimeout: 50 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/**
 * A real redis-server on a free port, without persistence: `restart()` loses every key, as a Redis
 * without AOF/RDB does when it restarts.
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  private readonly clients = new Set<Redis>();

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly binary: string,
    private args: string[],
    /** With TLS: the port that speaks it (`port` stays plain, for the test's own commands). */
    readonly tlsPort?: number,
    /** Kept on every launch, whatever `args` a restart gives. */
    private readonly tlsArgs: string[] = [],
  ) {}

  /**
   * `args` are added to the command line on every launch (e.g. `['--replicaof', '127.0.0.1', '7001']`). With `tls`
   * the server also listens with TLS on `tlsPort` (`tlsUrl`), presenting `cert`; clients need no certificate.
   */
  static async start(args: string[] = [], options: RedisServerOptions = {}): Promise<RedisServer> {
    const binary = redisBinary('redis-server');
    const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
    const { tls } = options;
    const tlsPort = tls ? await freePort() : undefined;
    const tlsArgs = tls
      ? [
          ...['--tls-port', String(tlsPort), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key],
          ...['--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'],
        ]
      : [];
    const server = new RedisServer(await freePort(), dir, binary, args, tlsPort, tlsArgs);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `rediss://127.0.0.1:<tlsPort>` (only for a server started with `tls`). */
  get tlsUrl(): string {
    if (this.tlsPort === undefined) throw new Error('This redis-server was started without TLS.');
    return `rediss://127.0.0.1:${this.tlsPort}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** An ioredis client for the test's own use; closed by `stop()`/cleanup. Fails fast while Redis is down. */
  client(): Redis {
    const client = new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1, disconnectTimeout: 50 });
    client.on('error', () => undefined);
    this.clients.add(client);
    return client;
  }

  /** Graceful stop (SIGTERM); also closes the test's clients and removes the data directory. */
  async stop(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    this.clients.clear();
    // A paused server would never act on SIGTERM.
    this.process?.kill('SIGCONT');
    if (this.process) await killAndWait(this.process, 'SIGTERM');
    this.process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    if (this.process) await killAndWait(this.process);
    this.process = undefined;
  }

  /** Sends `signal` (e.g. SIGSTOP / SIGCONT to pause and resume it). */
  signal(signal: NodeJS.Signals): void {
    this.process?.kill(signal);
  }

  /** Starts a killed server again on the same port, with no data; `args` replace those it was started with. */
  async start(args = this.args): Promise<void> {
    this.args = args;
    if (!this.process) await this.launch();
  }

  /** Kill and start again on the same port with no data, as a Redis without persistence loses it. */
  async restart(args = this.args): Promise<void> {
    await this.kill();
    this.args = args;
    await this.launch();
  }

  /**
   * Stops after writing its data to disk (`SHUTDOWN SAVE`, which saves even with no save points), so that
   * `resume()` brings Redis back with the same keys, as a Redis with persistence comes back.
   */
  async stopKeepingData(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await this.command(['SHUTDOWN', 'SAVE']).catch(() => undefined);
    await exited;
    this.process = undefined;
  }

  /** Starts again on the same port after `kill()` or `stopKeepingData()`, with the data saved by the latter. */
  async resume(): Promise<void> {
    if (!this.process) await this.launch();
  }

  async flushAll(): Promise<void> {
    await this.command(['FLUSHALL']);
  }

  /** `INFO commandstats` as command → calls, e.g. `{ ping: 12 }`. */
  async commandStats(): Promise<Record<string, number>> {
    const info = await this.command(['INFO', 'commandstats']);
    const stats: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[match[1]] = Number(match[2]);
    return stats;
  }

  /**
   * How many replicas acknowledge a write made now, waiting at most `timeoutMs` for `count` of them (a probe key,
   * then `WAIT` on the same connection). A replica listed `online` may not acknowledge yet: after a full sync it is
   * streamed writes only from its first ACK.
   */
  async replicasAcknowledging(count: number, timeoutMs = 100): Promise<number> {
    const client = new Redis(this.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      disconnectTimeout: 50,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.set('test:replication-probe', String(Date.now()));
      return await client.wait(count, timeoutMs);
    } finally {
      client.disconnect();
    }
  }

  /** Runs one command on a short-lived connection and returns its reply as text. */
  async command(args: string[]): Promise<string> {
    return String(await redisCommand(this.port, args));
  }

  private async launch(): Promise<void> {
    const child = spawnTracked(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        ...this.tlsArgs,
        ...this.args,
      ],
      {},
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.process = child;
    await waitFor(
      `redis-server on port ${this.port} to accept connections (output: ${output.slice(-500)})`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`redis-server exited with ${child.exitCode}: ${output.slice(-500)}`);
        return (await this.command(['PING'])) === 'PONG';
      },
    );
  }
}

export interface RedisServerOptions {
  /** PEM files: the server's certificate and key, and the CA file redis-server requires with TLS on. */
  tls?: { cert: string; key: string; ca: string };
}

const started = new Set<RedisServer>();

/** Starts a real redis-server for a test or suite; it is stopped after the test file even when a test throws. */
export async function startRedis(args: string[] = [], options: RedisServerOptions = {}): Promise<RedisServer> {
  const server = await RedisServer.start(args, options);
  started.add(server);
  return server;
}

// Registered once per test file that imports the harness (jest gives each file its own module registry).
if (typeof afterAll === 'function') afterAll(() => Promise.all([...started].map((server) => server.stop())));
