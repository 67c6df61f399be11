import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import type { Redis } from 'ioredis';
import { freePort, type RedisServer, startRedis, UNREACHABLE_MONGODB_URI, waitFor } from '../support';
import { spawnTracked } from '../support/child-processes';
import { ROOT, tool } from './deploy-support';

const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2');
const WORKERS = 2;
const APP = 'enterprise-service';
const PING_TOTAL = `enterprise_service_http_requests_total{route="/demo/ping"}`;

interface Pm2Process {
  pid: number;
  pm2_env: { status: string; restart_time: number; NODE_APP_INSTANCE: number };
}

/** Fires GETs at `port` from `loops` concurrent clients until stopped, counting answers and failures. */
function steadyLoad(port: number, loops: number, keepAlive: boolean) {
  const counts = { ok: 0, non2xx: 0, errors: 0 };
  let running = true;
  const once = () =>
    keepAlive
      ? fetch(`http://127.0.0.1:${port}/demo/ping`).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        })
      : new Promise<number>((resolve, reject) => {
          const req = request({ port, host: '127.0.0.1', path: '/demo/ping', agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          });
          req.on('error', reject);
          req.end();
        });
  const loop = async () => {
    while (running) {
      try {
        const status = await once();
        if (status >= 200 && status < 300) counts.ok++;
        else counts.non2xx++;
      } catch {
        counts.errors++;
      }
    }
  };
  const all = Promise.all(Array.from({ length: loops }, loop));
  return {
    counts,
    stop: async () => {
      running = false;
      await all;
      return counts;
    },
  };
}

describe(`PM2 cluster mode with the real pm2 (${WORKERS} workers, deploy/pm2/ecosystem.config.js)`, () => {
  const home = mkdtempSync(join(tmpdir(), 'pm2-home-'));
  let redis: RedisServer;
  let admin: Redis;
  let port: number;
  let metricsPort: number;

  // Never the user's ~/.pm2: a daemon of its own, killed after the suite.
  const pm2 = async (...args: string[]) =>
    (
      await promisify(execFile)(PM2, args, {
        cwd: home,
        env: { PATH: process.env.PATH, HOME: home, PM2_HOME: home },
        timeout: 120_000,
      })
    ).stdout;
  const workers = async () => ((JSON.parse(await pm2('jlist')) as Pm2Process[]) ?? []).filter(Boolean);
  const nodeKeys = async () => {
    const keys = await admin.keys('sys:tsid:node:*');
    return Promise.all(keys.map(async (key) => ({ key, token: (await admin.get(key)) ?? '' })));
  };
  const allOnline = async () => {
    const list = await workers();
    return list.length === WORKERS && list.every((w) => w.pm2_env.status === 'online') && list;
  };

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
    port = await freePort();
    metricsPort = await freePort();
    // The real ecosystem file, with this test's ports and dependencies.
    writeFileSync(
      join(home, 'ecosystem.config.js'),
      `const base = require(${JSON.stringify(join(ROOT, 'deploy', 'pm2', 'ecosystem.config.js'))}).apps[0];
module.exports = { apps: [{ ...base, instances: ${WORKERS}, env: { ...base.env, ${JSON.stringify({
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        REDIS_URL: redis.url,
        MONGODB_URI: UNREACHABLE_MONGODB_URI,
        HEALTH_READINESS_INCLUDE: 'memory,tsid',
        DEMO_ENDPOINTS: 'true',
        SHUTDOWN_DRAIN_DELAY_MS: '1000',
        SHUTDOWN_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'warn',
      }).slice(1, -1)} } }] };\n`,
    );
    await pm2('start', join(home, 'ecosystem.config.js'));
    await waitFor('every worker online', allOnline, 60_000);
    await waitFor('the cluster to be ready', async () => (await fetch(`http://127.0.0.1:${port}/health/readiness`)).ok);
  }, 120_000);

  afterAll(async () => {
    await pm2('kill').catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('gives each worker its own TSID node ID lease', async () => {
    const pids = (await workers()).map((w) => w.pid);
    await waitFor('one lease per worker', async () => (await nodeKeys()).length === WORKERS);
    const holders = (await nodeKeys()).map(({ token }) => Number(token.split(':')[1]));
    expect(holders.sort()).toEqual(pids.sort());
  });

  it('counts every worker’s requests in Prometheus (one metrics port per worker), with no counter going backwards', async () => {
    const prometheus = tool('prometheus', 'apt-get install prometheus (Debian) or download it from prometheus.io');
    const dir = mkdtempSync(join(tmpdir(), 'pm2-prometheus-'));
    const promPort = await freePort();
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    const targets = Array.from({ length: WORKERS }, (_, i) => `127.0.0.1:${metricsPort + i}`);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      yaml.dump({
        global: { scrape_interval: '1s' },
        scrape_configs: [{ job_name: APP, static_configs: [{ targets }] }],
      }),
    );
    spawnTracked(
      prometheus,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { cwd: dir },
    );
    const query = async (expr: string) => {
      const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.map((r) => Number(r.value[1]));
    };
    try {
      await waitFor(
        'Prometheus to scrape every worker',
        async () => (await query('up == 1')).length === WORKERS,
        30_000,
      );
      const before = (await query(`sum(${PING_TOTAL})`))[0] ?? 0;
      // New connections, so the cluster's round robin spreads them over the workers.
      const sent = 40;
      for (let i = 0; i < sent; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/demo/ping`, { headers: { connection: 'close' } });
        expect(response.status).toBe(200);
      }
      const perWorker = await waitFor(
        `Prometheus to count all ${sent} requests`,
        async () => {
          const total = (await query(`sum(${PING_TOTAL})`))[0];
          return total === before + sent && (await query(PING_TOTAL));
        },
        30_000,
      );
      console.log(`pm2 metrics: ${sent} requests, counted per worker ${JSON.stringify(perWorker)}`);
      expect(perWorker.filter((count) => count > 0)).toHaveLength(WORKERS);
      expect(await query(`sum(resets(${PING_TOTAL}[5m]))`)).toEqual([0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('restarts a worker that exits 75 (TSID lease lost), which leases again and serves', async () => {
    const [victim] = (await nodeKeys()).filter(({ token }) => token.length > 0);
    const pid = Number(victim.token.split(':')[1]);
    const restartsBefore = (await workers()).reduce((sum, w) => sum + w.pm2_env.restart_time, 0);
    await admin.del(victim.key);
    await waitFor(
      'PM2 to restart the worker',
      async () => {
        const list = await allOnline();
        return list && !list.some((w) => w.pid === pid);
      },
      60_000,
    );
    expect((await workers()).reduce((sum, w) => sum + w.pm2_env.restart_time, 0)).toBe(restartsBefore + 1);
    await waitFor('every worker to hold a lease again', async () => (await nodeKeys()).length === WORKERS, 30_000);
    const pids = (await workers()).map((w) => w.pid);
    expect((await nodeKeys()).map(({ token }) => Number(token.split(':')[1])).sort()).toEqual(pids.sort());
  }, 90_000);

  it('answers every request through `pm2 reload` under steady keep-alive and non-keep-alive load', async () => {
    const pidsBefore = (await workers()).map((w) => w.pid);
    const keepAlive = steadyLoad(port, 5, true);
    const fresh = steadyLoad(port, 5, false);
    await waitFor('load to flow', () => keepAlive.counts.ok > 100 && fresh.counts.ok > 100);
    const reloadStarted = performance.now();
    await pm2('reload', APP);
    const reloadMs = Math.round(performance.now() - reloadStarted);
    await waitFor(
      'the old workers to be gone',
      async () => {
        const list = await allOnline();
        return list && list.every((w) => !pidsBefore.includes(w.pid));
      },
      60_000,
    );
    const served = keepAlive.counts.ok + fresh.counts.ok;
    await waitFor('load to flow on the new workers', () => keepAlive.counts.ok + fresh.counts.ok > served + 100);
    const [k, f] = await Promise.all([keepAlive.stop(), fresh.stop()]);
    console.log(
      `pm2 reload of ${WORKERS} workers took ${reloadMs} ms; keep-alive: ${k.ok} answered, ${k.non2xx} non-2xx, ` +
        `${k.errors} socket errors; non-keep-alive: ${f.ok} answered, ${f.non2xx} non-2xx, ${f.errors} socket errors`,
    );
    expect({ keepAlive: k, fresh: f }).toEqual({
      keepAlive: { ok: k.ok, non2xx: 0, errors: 0 },
      fresh: { ok: f.ok, non2xx: 0, errors: 0 },
    });
  }, 180_000);
});
