import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { killAndWait, spawnTracked } from './child-processes';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const INSTALL_HINT =
  'redis-server is not on PATH. Tests that need Redis start real redis-server processes; install it with ' +
  '`apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).';

function redisServerBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(INSTALL_HINT);
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
  ) {}

  static async start(): Promise<RedisServer> {
    const binary = redisServerBinary();
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'redis-test-')), binary);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
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
    if (this.process) await killAndWait(this.process, 'SIGTERM');
    this.process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    if (this.process) await killAndWait(this.process);
    this.process = undefined;
  }

  /** Kill and start again on the same port with no data, as a Redis without persistence loses it. */
  async restart(): Promise<void> {
    await this.kill();
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

  /** Runs one command on a short-lived connection and returns its reply as text. */
  async command(args: string[]): Promise<string> {
    const client = new Redis(this.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      disconnectTimeout: 50,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const reply = await client.call(args[0], ...args.slice(1));
      return String(reply);
    } finally {
      client.disconnect();
    }
  }

  private async launch(): Promise<void> {
    const child = spawnTracked(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
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

const started = new Set<RedisServer>();

/** Starts a real redis-server for a test or suite; it is stopped after the test file even when a test throws. */
export async function startRedis(): Promise<RedisServer> {
  const server = await RedisServer.start();
  started.add(server);
  return server;
}

// Registered once per test file that imports the harness (jest gives each file its own module registry).
if (typeof afterAll === 'function') afterAll(() => Promise.all([...started].map((server) => server.stop())));
