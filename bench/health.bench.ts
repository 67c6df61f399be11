// Readiness probe latency under a probe flood, against liveness (the baseline: same adapter-level route, no checks)
// in the same run: `node -r ./bench/register.js bench/health.bench.ts [seconds-per-run] [rounds] [rate]`.
// The app (HealthModule with a real redis-server, refreshed every second) runs in a process of its own; autocannon
// loads it from this one at a fixed rate (default 2000 req/s), alternating liveness and readiness round after
// round. Figures: median over rounds of p50/p99 latency, and of each round's readiness/liveness ratio; plus the
// PINGs Redis received during the readiness runs (at most one per interval whatever the rate).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';

const INTERVAL_MS = 1000;

async function serve(adapterName: string, redisPort: number): Promise<void> {
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  const { HealthModule } = await import('@nestjs-reliability/health');
  const client = new Redis(redisPort, '127.0.0.1');
  await client.ping();

  @Module({ imports: [HealthModule.forRoot({ refreshIntervalMs: INTERVAL_MS, redis: { client } })] })
  class BenchModule {}

  const adapter = adapterName === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(BenchModule, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`PORT ${(app.getHttpServer().address() as { port: number }).port}\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: string) => {
      buffered += chunk;
      const match = pattern.exec(buffered);
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(match);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited with ${code}: ${buffered}`)));
  });
}

async function startRedisServer(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'health-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, /Ready to accept connections/);
  return { port, child };
}

async function startApp(adapter: string, redisPort: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['-r', join(__dirname, 'register.js'), __filename, '--serve', adapter, String(redisPort)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const [, port] = await waitForLine(child, /PORT (\d+)/);
  return { url: `http://127.0.0.1:${port}`, child };
}

async function load(url: string, seconds: number, rate: number) {
  const result = await autocannon({ url, connections: 50, duration: seconds, overallRate: rate });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (value: number) => value.toFixed(2);

async function main(): Promise<void> {
  // BENCH_SMOKE=1 (CI's smoke test): one short round, only to prove the bench still runs.
  const smoke = process.env.BENCH_SMOKE === '1';
  const seconds = Number(process.argv[2] ?? (smoke ? 1 : 3));
  const rounds = Number(process.argv[3] ?? (smoke ? 1 : 5));
  const rate = Number(process.argv[4] ?? (smoke ? 200 : 2000));
  console.log(
    `health bench: ${rate} req/s for ${seconds} s per run, ${rounds} rounds, refresh every ${INTERVAL_MS} ms`,
  );
  const redis = await startRedisServer();
  const stats = new Redis(redis.port, '127.0.0.1');
  try {
    for (const adapter of ['fastify', 'express']) {
      const app = await startApp(adapter, redis.port);
      try {
        type Run = Awaited<ReturnType<typeof load>>;
        const runs: Record<'liveness' | 'readiness', Run[]> = { liveness: [], readiness: [] };
        const ratios = { p50: [] as number[], p99: [] as number[] };
        let pings = 0;
        let readinessMs = 0;
        await load(`${app.url}/health/readiness`, 1, rate); // warm-up
        for (let round = 0; round < rounds; round++) {
          // Alternate which goes first, so a drift in the machine's load does not favour one side.
          const order = round % 2 === 0 ? (['liveness', 'readiness'] as const) : (['readiness', 'liveness'] as const);
          const result: Partial<Record<'liveness' | 'readiness', Run>> = {};
          for (const probe of order) {
            if (probe === 'readiness') await stats.config('RESETSTAT');
            const started = performance.now();
            result[probe] = await load(`${app.url}/health/${probe}`, seconds, rate);
            if (probe === 'readiness') {
              readinessMs += performance.now() - started;
              pings += Number(/cmdstat_ping:calls=(\d+)/.exec(await stats.info('commandstats'))?.[1] ?? 0);
            }
            runs[probe].push(result[probe]);
          }
          ratios.p50.push(result.readiness!.p50 / Math.max(result.liveness!.p50, 0.001));
          ratios.p99.push(result.readiness!.p99 / Math.max(result.liveness!.p99, 0.001));
        }
        for (const probe of ['liveness', 'readiness'] as const) {
          const p50 = median(runs[probe].map((run) => run.p50));
          const p99 = median(runs[probe].map((run) => run.p99));
          const rps = median(runs[probe].map((run) => run.rps));
          console.log(
            `  ${adapter.padEnd(8)} ${probe.padEnd(10)} p50 ${fmt(p50)} ms  p99 ${fmt(p99)} ms  (${Math.round(rps)} req/s)`,
          );
        }
        console.log(
          `  ${adapter.padEnd(8)} readiness/liveness: p50 x${fmt(median(ratios.p50))}, p99 x${fmt(median(ratios.p99))}; ` +
            `${pings} Redis PINGs in ${(readinessMs / 1000).toFixed(1)} s of readiness flood`,
        );
      } finally {
        app.child.kill();
      }
    }
  } finally {
    stats.disconnect();
    redis.child.kill();
  }
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3], Number(process.argv[4])).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
