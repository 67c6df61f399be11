import { execFile } from 'node:child_process';
import { mkdtempSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TsidCodec } from '@nestjs-reliability/tsid';
import { Queue } from 'bullmq';
import { promtoolProblems } from '../support/metrics-text';
import { FakeUpstream } from '../resilience/fake-upstream';
import { type RedisServer, type ServiceProcess, startRedis, waitFor } from '../support';
import { type ConsumerApp, enginesFloor, installApp, installNode, packWorkspaces, removeDir } from './consumer-apps';

// Apps made the way `nest new` makes them, outside the repository, installing every package from its packed
// tarball: Nest 11 CommonJS apps and Nest 12 ES-module apps, each on Express and on Fastify. Each wires every
// package as its README says (the same source, `fixtures/full-app/src`, with `.js` relative imports that both module
// systems resolve; only `main.ts` differs) and runs as a real process against a real redis-server and a real HTTP
// upstream. Each runs on the tests' Node and on the oldest Node our `engines` allow, where Nest 12's ES modules
// reach our CommonJS through the first `require(esm)` that is on by default.
const FIXTURES = ['nest11-express', 'nest11-fastify', 'nest12-express', 'nest12-fastify'];
const FLOOR = enginesFloor();
const RUNS = FIXTURES.flatMap((fixture) => [
  [fixture, process.versions.node],
  [fixture, FLOOR],
]);
const apps = new Map<string, ConsumerApp>();
const nodes = new Map<string, string>([[process.versions.node, process.execPath]]);
let workDir: string | undefined;
let packDir: string | undefined;

beforeAll(async () => {
  const [packed, floorNode] = await Promise.all([packWorkspaces(), installNode(FLOOR)]);
  nodes.set(FLOOR, floorNode);
  packDir = packed.dir;
  workDir = mkdtempSync(join(tmpdir(), 'nr-consumer-apps-'));
  for (const app of await Promise.all(
    FIXTURES.map((fixture) => installApp(fixture, workDir!, packed.packages, 'full-app/src')),
  )) {
    apps.set(app.name, app);
    console.log(`[consumers] ${app.name}: npm install ${app.installSeconds} s, tsc ${app.buildSeconds} s`);
  }
}, 600_000);

afterAll(() => {
  removeDir(workDir);
  removeDir(packDir);
});

/** One sample of `text`'s exposition, by its full series name with labels. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(app: ServiceProcess): Promise<string> {
  const response = await fetch(`${app.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

type Outcome = 'answered' | 'refused' | 'lost';

/**
 * Answered with 200 (`close`: with `Connection: close`, the server's "go elsewhere"); refused at connect (never
 * reached the server); or lost: a reset, a closed socket or another status.
 */
async function outcomeOf(request: Promise<Response>): Promise<{ outcome: Outcome; close: boolean }> {
  try {
    const response = await request;
    await response.arrayBuffer();
    const close = response.headers.get('connection') === 'close';
    return { outcome: response.status === 200 ? 'answered' : 'lost', close };
  } catch (error) {
    const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
    return { outcome: refused ? 'refused' : 'lost', close: false };
  }
}

/**
 * Load while `stop` ends the process: 40 requests of 1.5 s in flight (counted by the app's own
 * `http_requests_in_flight`) when `stop` runs, and 8 keep-alive clients sending short requests back to back until
 * one fails or is answered with `Connection: close`, when a load balancer's connection moves to another instance.
 */
async function underLoad(app: ServiceProcess, stop: () => void) {
  const slow = Array.from({ length: 40 }, () => outcomeOf(fetch(`${app.url}/slow?ms=1500`)));
  await waitFor('40 slow requests in flight', async () => {
    return (sample(await scrape(app), 'consumer_http_requests_in_flight') ?? 0) >= 40;
  });
  const loop = { answered: 0, refused: 0, lost: 0, closedByServer: 0 };
  const deadline = Date.now() + 20_000;
  const clients = Array.from({ length: 8 }, async () => {
    for (;;) {
      const { outcome, close } = await outcomeOf(fetch(`${app.url}/slow?ms=10`));
      loop[outcome]++;
      if (close) loop.closedByServer++;
      if (outcome !== 'answered' || close || Date.now() > deadline) return;
    }
  });
  await waitFor('the short requests to flow', () => loop.answered >= 40);
  stop();
  const slowOutcomes = (await Promise.all(slow)).map(({ outcome }) => outcome);
  await Promise.all(clients);
  return { slow: slowOutcomes, loop };
}

describe(`Node ${FLOOR}'s warnings`, () => {
  it("control: it warns when the app's own CommonJS, outside node_modules, requires Nest 12's ES modules", async () => {
    const dir = apps.get('nest12-express')!.dir;
    writeFileSync(join(dir, 'dist', 'require-nest.cjs'), "require('@nestjs/common');\n");
    const { stderr } = await promisify(execFile)(nodes.get(FLOOR)!, [join(dir, 'dist', 'require-nest.cjs')], {
      cwd: dir,
    });
    expect(stderr).toMatch(/ExperimentalWarning: CommonJS module .* is loading ES Module .* using require\(\)/);
  });
});

describe("nest11-express under its own jest (nest new's jest 30 and ts-jest, CommonJS)", () => {
  it('loads every package into a Nest testing module without --experimental-vm-modules', async () => {
    const output = await apps.get('nest11-express')!.npm(['test']);
    expect(output).toMatch(/Tests:\s+1 passed, 1 total/);
  });
});

describe.each(RUNS)('%s on Node %s, installed from the packed tarballs', (fixture, version) => {
  let app: ConsumerApp;
  let redis: RedisServer;
  let upstream: FakeUpstream;
  let a: ServiceProcess;
  let b: ServiceProcess;

  const start = () =>
    app.start(
      { REDIS_URL: redis.url, UPSTREAM_URL: upstream.url, DRAIN_DELAY_MS: '1000', NODE_ENV: 'production' },
      nodes.get(version),
    );

  beforeAll(async () => {
    app = apps.get(fixture)!;
    [redis, upstream] = await Promise.all([startRedis(), FakeUpstream.start()]);
    [a, b] = await Promise.all([start(), start()]);
    // Ready once the TSID lease is held (the first lease on an empty Redis waits out its quarantine) and Redis is up.
    await Promise.all([a.waitForStatus('/health/readiness'), b.waitForStatus('/health/readiness')]);
  });

  afterAll(() => upstream?.stop());

  it(`runs on Node ${version}, which prints no warning`, () => {
    expect(readlinkSync(`/proc/${a.pid}/exe`)).toBe(realpathSync(nodes.get(version)!));
    // Node 22.12 warns of require(esm) as experimental, except from a module under node_modules, as ours are.
    expect(a.output().stderr).not.toMatch(/Warning/);
  });

  it('@Retry retries a 503 from the real upstream until it answers, and never a 404', async () => {
    upstream.answerFirst(2, { status: 503 }, { status: 200, body: { name: 'acme' } });
    const answered = await fetch(`${a.url}/directory/acme`);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ name: 'acme' });
    expect(upstream.requests.filter((key) => key === 'acme')).toHaveLength(3);

    upstream.answerFirst(1, { status: 404 }, { status: 200 });
    expect((await fetch(`${a.url}/directory/nobody`)).status).toBe(502);
    expect(upstream.requests.filter((key) => key === 'nobody')).toHaveLength(1);
  });

  it('@CircuitBreaker opens after 3 failures, which ends the retries and keeps later calls off the upstream', async () => {
    upstream.answer(() => ({ status: 500 }));
    // maxAttempts is 5, but the third failure opens the circuit: the next attempt fails fast with
    // BrokenCircuitError, which is never retried.
    expect((await fetch(`${a.url}/guarded/first`)).status).toBe(503);
    expect(upstream.requests.filter((key) => key === 'first')).toHaveLength(3);

    const rejected = await fetch(`${a.url}/guarded/second`);
    expect(rejected.status).toBe(503);
    expect(await rejected.json()).toMatchObject({ message: 'circuit open' });
    expect(upstream.requests).not.toContain('second');
    expect(sample(await scrape(a), 'consumer_circuit_breaker_state{breaker="guarded"}')).toBe(1);
  });

  it('issues TSIDs under node IDs leased on the real redis-server, one per instance', async () => {
    const codec = new TsidCodec();
    const nodes = [];
    for (const instance of [a, b]) {
      const response = await fetch(`${instance.url}/ids`);
      expect(response.status).toBe(200);
      const { id } = (await response.json()) as { id: string };
      const { nodeId } = codec.decode(id);
      expect(await redis.command(['GET', `sys:tsid:node:${nodeId}`])).toContain(`:${instance.pid}:`);
      nodes.push(nodeId);
    }
    expect(nodes[0]).not.toBe(nodes[1]);
  });

  it('@WithLock turns the second instance away while the first runs the job, then lets it run', async () => {
    const first = fetch(`${a.url}/exclusive?ms=1500`);
    await waitFor(
      'a to hold the lock',
      async () => (await redis.command(['EXISTS', 'lock:{consumer-exclusive}'])) === '1',
    );
    const refused = await fetch(`${b.url}/exclusive?ms=0`);
    expect(refused.status).toBe(409);
    expect((await first).status).toBe(200);
    expect((await fetch(`${b.url}/exclusive?ms=0`)).status).toBe(200);
  });

  it('serves /metrics from every package that promtool check metrics passes', async () => {
    const text = await scrape(a);
    for (const series of [
      'consumer_http_requests_total{method="GET",route="/directory/:key",status_code="200"}',
      'consumer_retry_attempts_total{operation="DirectoryClient.lookup"}',
      'consumer_tsid_ids_issued_total',
      'consumer_lock_outcomes_total{resource="consumer-exclusive",result="acquired"}',
      'consumer_health_check_status{check="tsid"}',
      'consumer_shutdown_in_progress',
    ]) {
      expect([series, sample(text, series)]).toEqual([series, expect.any(Number)]);
    }
    expect(promtoolProblems(text)).toBe('');
    // Control: promtool does report problems, e.g. a counter without the _total suffix.
    expect(promtoolProblems('# HELP bad a counter\n# TYPE bad counter\nbad 1\n')).not.toBe('');
  });

  it('SIGTERM under load: readiness 503 at once while still serving, every in-flight request answered, exit 0', async () => {
    let readiness: Promise<string> | undefined;
    const { slow, loop } = await underLoad(a, () => {
      a.signal('SIGTERM');
      readiness = waitFor('readiness to answer 503', async () => {
        const response = await fetch(`${a.url}/health/readiness`);
        await response.arrayBuffer();
        if (response.status !== 503) return false;
        return a.output().stdout.includes('Drain delay over') ? 'after the drain delay' : 'during the drain delay';
      });
    });
    expect(await readiness).toBe('during the drain delay');
    const exit = await a.waitForExit();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(slow.filter((outcome) => outcome !== 'answered')).toEqual([]);
    expect(loop.lost).toBe(0);
    expect(loop.closedByServer).toBe(8);
    console.log(
      `[consumers] ${fixture} on Node ${version} SIGTERM: 40/40 slow answered; short requests ${JSON.stringify(loop)}`,
    );
  });

  it('control: the same load with SIGKILL instead loses requests', async () => {
    const c = await start();
    await c.waitForStatus('/health/readiness');
    const { slow, loop } = await underLoad(c, () => c.signal('SIGKILL'));
    expect(slow.filter((outcome) => outcome === 'lost').length).toBeGreaterThan(0);
    console.log(
      `[consumers] ${fixture} on Node ${version} SIGKILL: slow ${slow.filter((o) => o === 'lost').length}/40 lost; short ${JSON.stringify(loop)}`,
    );
  });

  it('exits 75 through the graceful shutdown sequence when its TSID lease is deleted', async () => {
    const keys = (await redis.command(['KEYS', 'sys:tsid:node:*'])).split(',');
    let key: string | undefined;
    for (const candidate of keys) {
      if ((await redis.command(['GET', candidate])).includes(`:${b.pid}:`)) key = candidate;
    }
    expect(key).toBeDefined();
    await redis.command(['DEL', key!]);
    expect(await b.waitForExit()).toEqual({ code: 75, signal: null });
    const { stdout } = b.output();
    expect(stdout).toContain(`Shutdown started (the TSID lease of node ID ${key!.split(':').pop()} was lost`);
    expect(stdout).toMatch(/Shutdown complete \(\+\d+ ms\): exiting with code 75/);
  });

  // Last: by now c is the only instance, so nothing else can claim the job enqueued after its SIGTERM.
  it('SIGTERM with a job in flight: no new job is claimed, the active one completes, then exit 0', async () => {
    const c = await start();
    await c.waitForStatus('/health/readiness');
    const readiness = (await (await fetch(`${c.url}/health/readiness`)).json()) as {
      checks: Record<string, { status: string }>;
    };
    expect(readiness.checks.jobs).toMatchObject({ status: 'ok' });
    const queue = new Queue('consumer-work', { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      const { id } = (await (await fetch(`${c.url}/work?ms=1500`)).json()) as { id: string };
      await waitFor('the job to be active', async () => (await queue.getJobState(id)) === 'active');
      c.signal('SIGTERM');
      const later = await queue.add('work', { ms: 0 });
      expect(await c.waitForExit()).toEqual({ code: 0, signal: null });
      expect(await queue.getJobState(id)).toBe('completed');
      expect(await queue.getJobState(later.id!)).toBe('waiting');
    } finally {
      await queue.close();
    }
  });
});
