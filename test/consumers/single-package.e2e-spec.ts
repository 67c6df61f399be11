import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedis, waitFor } from '../support';
import { type ConsumerApp, installApp, packWorkspaces, removeDir } from './consumer-apps';

// One Nest 11 app per package (fixtures/alone/<package>), made as `nest new` makes one, that installs that package
// alone from its packed tarball (its dependency @nestjs-reliability/common comes with it) and boots.

/** The third-party runtime each library needs, installed by the app (peers) or coming with the package. */
const OWN_RUNTIME: Record<string, string[]> = {
  common: [],
  shutdown: [],
  health: ['@nestjs/terminus'],
  metrics: ['prom-client'],
  resilience: ['opossum'],
  tsid: ['ioredis'],
  lock: ['ioredis'],
  // The app installs @nestjs/bullmq and bullmq (peers); ioredis comes with bullmq.
  jobs: ['@nestjs/bullmq', 'bullmq', 'ioredis'],
};
const LIBRARY_RUNTIME = [...new Set(Object.values(OWN_RUNTIME).flat())].sort();
const PACKAGES = Object.keys(OWN_RUNTIME);

const apps = new Map<string, ConsumerApp>();
let workDir: string | undefined;
let packDir: string | undefined;
let redis: RedisServer;

beforeAll(async () => {
  const packed = await packWorkspaces();
  packDir = packed.dir;
  workDir = mkdtempSync(join(tmpdir(), 'nr-consumer-alone-'));
  // Two installs at a time: the machine has two cores.
  for (let i = 0; i < PACKAGES.length; i += 2) {
    const batch = PACKAGES.slice(i, i + 2);
    const installed = await Promise.all(batch.map((name) => installApp(`alone/${name}`, workDir!, packed.packages)));
    installed.forEach((app, j) => apps.set(batch[j], app));
  }
  for (const [name, app] of apps) {
    const { size, unpackedSize, dependencies } = packed.packages.get(`@nestjs-reliability/${name}`)!;
    console.log(
      `[consumers] ${name}: ${(size / 1024).toFixed(1)} kB packed, ${(unpackedSize / 1024).toFixed(1)} kB ` +
        `unpacked, dependencies [${dependencies.join(', ')}]; app: npm install ${app.installSeconds} s, ` +
        `tsc ${app.buildSeconds} s, ${app.installed().length} packages in node_modules`,
    );
  }
  redis = await startRedis();
}, 600_000);

afterAll(() => {
  removeDir(workDir);
  removeDir(packDir);
});

describe('a package installed alone', () => {
  it.each(PACKAGES)('%s brings no other library of the toolkit and no other library’s runtime', (name) => {
    const installed = apps.get(name)!.installed();
    expect(installed.filter((dep) => dep.startsWith('@nestjs-reliability/')).sort()).toEqual(
      [...new Set(['@nestjs-reliability/common', `@nestjs-reliability/${name}`])].sort(),
    );
    // The apps that need prom-client, ioredis, opossum or terminus have them: the check sees them.
    expect(LIBRARY_RUNTIME.filter((dep) => installed.includes(dep))).toEqual(OWN_RUNTIME[name]);
  });
});

describe('each single-package app boots and does its job', () => {
  it('common: option checks and exit codes', async () => {
    const app = await apps.get('common')!.start();
    await app.waitForStatus('/check?value=3');
    expect(await (await fetch(`${app.url}/check?value=3`)).json()).toEqual({ value: 3, leaseLostExitCode: 75 });
    expect(await (await fetch(`${app.url}/check?value=0`)).json()).toEqual({
      invalid: 'App: option "value" is 0; it must be an integer from 1 to 10.',
    });
  });

  it('shutdown: SIGTERM runs the graceful sequence and exits 0', async () => {
    const app = await apps.get('shutdown')!.start();
    await app.waitForStatus('/ready');
    app.signal('SIGTERM');
    expect(await app.waitForExit()).toEqual({ code: 0, signal: null });
    expect(app.output().stdout).toMatch(/Shutdown complete \(\+\d+ ms\): exiting with code 0/);
  });

  it('health: the three probes, readiness with the memory check', async () => {
    const app = await apps.get('health')!.start();
    await app.waitForStatus('/health/startup');
    const readiness = await fetch(`${app.url}/health/readiness`);
    expect(readiness.status).toBe(200);
    expect(await readiness.json()).toMatchObject({ status: 'ok', service: 'health-alone', checks: { memory: {} } });
    expect((await fetch(`${app.url}/health/liveness`)).status).toBe(200);
  });

  it('metrics: RED metrics by route on /metrics', async () => {
    const app = await apps.get('metrics')!.start();
    await app.waitForStatus('/hello');
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toContain('alone_http_requests_total{method="GET",route="/hello",status_code="200"} 1');
  });

  it('resilience: @Retry turns two 503s into an answer', async () => {
    const app = await apps.get('resilience')!.start();
    await app.waitForStatus('/flaky');
    expect(await (await fetch(`${app.url}/flaky`)).json()).toEqual({ attempts: 3 });
  });

  it('lock: @WithLock runs the job under a lock on the real redis-server', async () => {
    const app = await apps.get('lock')!.start({ REDIS_URL: redis.url });
    await app.waitForStatus('/report');
    expect(await (await fetch(`${app.url}/report`)).json()).toEqual({ ran: true });
    expect(await redis.command(['EXISTS', 'lock:{report}'])).toBe('0');
  });

  it('jobs: a @nestjs/bullmq worker runs a job with its idempotency key and correlation id', async () => {
    const app = await apps.get('jobs')!.start({ REDIS_URL: redis.url });
    await app.waitForStatus('/enqueue/ada');
    const { id } = (await (await fetch(`${app.url}/enqueue/grace`)).json()) as { id: string };
    const seen = await waitFor('the job to run', async () => {
      const body = (await (await fetch(`${app.url}/seen/${id}`)).json()) as Record<string, unknown>;
      return body.idempotencyKey !== undefined && body;
    });
    expect(seen).toEqual({
      queue: 'greetings',
      jobId: id,
      idempotencyKey: `greetings:${id}`,
      execution: 1,
      correlationId: 'request-1',
    });
  });

  it('tsid: without the shutdown package, a lost lease (FLUSHALL) still exits 75, by itself', async () => {
    const app = await apps.get('tsid')!.start({ REDIS_URL: redis.url });
    await app.waitForStatus('/ids');
    await redis.flushAll();
    expect(await app.waitForExit()).toEqual({ code: 75, signal: null });
    const { stdout, stderr } = app.output();
    expect(stderr).toContain('Stopped issuing TSIDs: the TSID lease of node ID');
    expect(`${stdout}${stderr}`).not.toContain('Shutdown started');
  });
});
