// The reference service with live dependencies for the service benches (startup, latency, soak): a real
// redis-server and FerretDB (or MONGODB_URI) from test/support, and the built service (`npm run build` first).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, type MongoServer, type RedisServer, SERVICE_MAIN, startMongo, startRedis } from '../test/support';

export const smoke = process.env.BENCH_SMOKE === '1';

export interface LiveStack {
  redis: RedisServer;
  mongo: MongoServer;
  stop(): Promise<void>;
}

export async function startLiveStack(): Promise<LiveStack> {
  if (!existsSync(SERVICE_MAIN)) throw new Error(`${SERVICE_MAIN} is missing: run \`npm run build\` first.`);
  const [redis, mongo] = await Promise.all([startRedis(), startMongo()]);
  return { redis, mongo, stop: async () => void (await Promise.all([redis.stop(), mongo.stop()])) };
}

export interface BenchService {
  child: ChildProcess;
  url: string;
  /** SIGTERM (graceful: the TSID lease is released) and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns the built service on the live stack. Its log lines go to /dev/null (a bench must not hold them in memory),
 * errors to our stderr. Returns at once: callers time their own readiness.
 */
export async function spawnService(stack: LiveStack, env: Record<string, string> = {}): Promise<BenchService> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVICE_MAIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(port),
      LOG_LEVEL: 'info',
      REDIS_URL: stack.redis.url,
      MONGODB_URI: stack.mongo.uri,
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...env,
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls `url` every 5 ms until it answers `status`; the time it took from `since` (performance.now()), in ms. */
export async function msUntil(url: string, since: number, child: ChildProcess, status = 200): Promise<number> {
  for (const deadline = since + 120_000; performance.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before ${url} answered`);
    const answered = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      async (response) => (await response.arrayBuffer(), response.status === status),
      () => false,
    );
    if (answered) return performance.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${url} did not answer ${status} within 120 s`);
}

export const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
