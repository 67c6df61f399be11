import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type ExitResult,
  freePort,
  mongoAvailability,
  type ServiceProcess,
  startMongo,
  startRedis,
  startService,
  waitFor,
} from '../support';
import { killAndWait, spawnTracked } from '../support/child-processes';

const HAPROXY = '/usr/sbin/haproxy';
const LOAD_SECONDS = 15;
/**
 * haproxy's readiness check interval. An instance is taken out after FALL failed checks in a row, so after SIGTERM
 * haproxy keeps routing to it for (FALL - 1) intervals at least and FALL at most, whatever the phase of the checks
 * when the signal lands. The drain delay (1500 ms) must outlast the longest window (1000 ms); the drain-delay-0
 * controls must see failures in the shortest (500 ms: a few dozen requests at this load), so a control that sees
 * none is a test that cannot fail, not bad luck. (With FALL 1 the shortest window is near zero, and a control once
 * saw no failure at all.)
 */
const CHECK_INTERVAL_MS = 500;
const FALL = 2;

/** Readiness on memory alone, so haproxy's check is about shutdown alone. */
const MEMORY_ONLY = { HEALTH_READINESS_INCLUDE: 'memory' };
/** Mostly slow requests, so each instance always has some in flight. */
const DEMO_LOAD: autocannon.Request[] = [
  { method: 'GET', path: '/demo/slow?ms=200' },
  { method: 'GET', path: '/demo/ping' },
];

/** One instance of the reference service with `env` on top of the rolling-restart settings. */
function instance(
  adapter: string,
  port: number,
  nodeId: number,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startService({
    env: {
      HTTP_ADAPTER: adapter,
      PORT: String(port),
      DEMO_ENDPOINTS: 'true',
      TSID_NODE_ID: String(nodeId),
      SHUTDOWN_DRAIN_DELAY_MS: '1500',
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    waitFor: '/health/readiness',
  });
}

/** Server states (UP, DOWN...) from haproxy's CSV stats, by server name. */
async function serverStates(statsPort: number): Promise<Record<string, string>> {
  const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
  const states: Record<string, string> = {};
  for (const row of csv.split('\n').filter((line) => line.startsWith('be,'))) {
    const [, server, , , , , , , , , , , , , , , , status] = row.split(',');
    states[server] = status;
  }
  return states;
}

interface RestartRun {
  result: autocannon.Result;
  /** Requests the old instance had in flight when SIGTERM reached it (from its own log line). */
  inFlightAtSignal: number;
  /** Milliseconds from the start of the load to the SIGTERM, and from its exit to the end of the load. */
  signalAfterMs: number;
  exitBeforeEndMs: number;
  oldExit: ExitResult;
  othersRunning: boolean;
}

/**
 * Two instances behind haproxy under load; once the load reaches them, a replacement starts, haproxy routes to it,
 * and the first instance gets SIGTERM, all while the load runs.
 */
async function rollingRestart(
  dir: string,
  adapter: string,
  drainDelayMs: number,
  env: Record<string, string> = MEMORY_ONLY,
  requests: autocannon.Request[] = DEMO_LOAD,
): Promise<RestartRun> {
  const [frontPort, statsPort, portA, portB, portC] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  // No retries and no redispatch: a request sent to an instance that refuses it would reach the client as an error.
  const config = `
global
  maxconn 4096
defaults
  mode http
  retries 0
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${frontPort}
  default_backend be
backend be
  balance roundrobin
  option httpchk GET /health/readiness
  http-check expect status 200
  default-server inter ${CHECK_INTERVAL_MS}ms fall ${FALL} rise 1
  server a 127.0.0.1:${portA} check
  server b 127.0.0.1:${portB} check
  server c 127.0.0.1:${portC} check
listen stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`;
  const configFile = join(dir, `haproxy-${frontPort}.cfg`);
  writeFileSync(configFile, config);
  // a logs at info for its "Shutdown started ... with N request(s) in flight" line.
  const [a, b] = await Promise.all([
    instance(adapter, portA, 1, { ...env, SHUTDOWN_DRAIN_DELAY_MS: String(drainDelayMs), LOG_LEVEL: 'info' }),
    instance(adapter, portB, 2, env),
  ]);
  const haproxy = spawnTracked(HAPROXY, ['-db', '-f', configFile], {});
  let haproxyOutput = '';
  haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
  let c: ServiceProcess | undefined;
  let load: autocannon.Instance | undefined;
  try {
    // The replacement's port is in the config from the start; haproxy must have seen it down before load begins.
    await waitFor(`haproxy to see a and b up, c down\n${haproxyOutput}`, async () => {
      const states = await serverStates(statsPort);
      return states.a === 'UP' && states.b === 'UP' && states.c === 'DOWN';
    });

    let responses = 0;
    const loadStartedAt = performance.now();
    const loadEnded = new Promise<{ result: autocannon.Result; endedAt: number }>((resolve, reject) => {
      load = autocannon(
        {
          url: `http://127.0.0.1:${frontPort}`,
          connections: 16,
          duration: LOAD_SECONDS,
          requests,
        },
        (error, result) => (error ? reject(error as Error) : resolve({ result, endedAt: performance.now() })),
      );
      load.on('response', () => responses++);
    });

    await waitFor('the load to be answered', () => responses >= 200, 10_000);
    c = await instance(adapter, portC, 3, env);
    await waitFor('haproxy to see c up', async () => (await serverStates(statsPort)).c === 'UP');
    // Signal while the load is on a (the scrape itself is one of the requests it counts).
    await waitFor('load requests in flight on a', async () => {
      const scrape = await (await fetch(`${a.url}/metrics`)).text();
      return Number(/^enterprise_service_http_requests_in_flight (\d+)/m.exec(scrape)?.[1]) >= 2;
    });
    const signalledAt = performance.now();
    a.signal('SIGTERM');
    const oldExit = await a.waitForExit(15_000);
    const exitedAt = performance.now();
    const { result, endedAt } = await loadEnded;
    const started = a.output().stdout.match(/Shutdown started \(SIGTERM\) with (\d+) request\(s\) in flight/);
    if (!started) throw new Error(`instance a logged no shutdown start:\n${a.output().stdout.slice(-2000)}`);
    return {
      result,
      inFlightAtSignal: Number(started[1]),
      signalAfterMs: Math.round(signalledAt - loadStartedAt),
      exitBeforeEndMs: Math.round(endedAt - exitedAt),
      oldExit,
      othersRunning: b.isRunning && c.isRunning,
    };
  } finally {
    load?.stop();
    await Promise.all([a.kill(), b.kill(), c?.kill(), killAndWait(haproxy)]);
  }
}

describe.each(['fastify', 'express'])('rolling restart behind haproxy on %s', (adapter) => {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function report(label: string, run: RestartRun): void {
    const { result } = run;
    console.log(
      `${adapter} rolling restart, ${label}: ${result.requests.total} requests in ${LOAD_SECONDS} s through haproxy, ` +
        `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts ` +
        `(statuses ${JSON.stringify(result.statusCodeStats)}); SIGTERM ` +
        `${run.signalAfterMs} ms into the load with ${run.inFlightAtSignal} request(s) in flight on the old instance, ` +
        `which exited ${run.exitBeforeEndMs} ms before the load ended`,
    );
  }

  /** The restart happened where it proves something: inside the load, while the old instance was serving. */
  function expectRestartUnderLoad(run: RestartRun): void {
    expect(run.signalAfterMs).toBeGreaterThan(0);
    expect(run.exitBeforeEndMs).toBeGreaterThan(0);
    expect(run.inFlightAtSignal).toBeGreaterThan(0);
    expect(run.result.requests.total).toBeGreaterThan(1_000);
    expect(run.othersRunning).toBe(true);
  }

  it(`fails no request while one of two instances is replaced under ${LOAD_SECONDS} s of load`, async () => {
    const run = await rollingRestart(dir, adapter, 1_500);
    report('drain delay 1500 ms', run);
    expectRestartUnderLoad(run);
    expect(run.oldExit).toEqual({ code: 0, signal: null });
    const { non2xx, errors, timeouts } = run.result;
    expect({ non2xx, errors, timeouts }).toEqual({ non2xx: 0, errors: 0, timeouts: 0 });
  }, 60_000);

  it('control: without a drain delay the same restart fails requests (the test can see failures)', async () => {
    const run = await rollingRestart(dir, adapter, 0);
    report('control, drain delay 0', run);
    expectRestartUnderLoad(run);
    expect(run.result.non2xx + run.result.errors + run.result.timeouts).toBeGreaterThan(0);
  }, 60_000);

  // With the default readiness checks on live MongoDB and Redis (once, on Fastify: the adapters are covered above).
  const live = mongoAvailability().skipReason === undefined ? describe : describe.skip;
  if (adapter === 'fastify')
    live('with the default readiness checks on live MongoDB and Redis', () => {
      // One write in six requests: each write is a MongoDB insert, a job and its provisioning update, and the
      // point here is the restart, not how many writes two cores and a SQLite-backed server absorb.
      const withWrites: autocannon.Request[] = [
        ...DEMO_LOAD,
        ...DEMO_LOAD,
        { method: 'GET', path: '/demo/ping' },
        {
          method: 'POST',
          path: '/organizations',
          headers: { 'content-type': 'application/json' },
          body: '{"name":"rr"}',
        },
      ];
      const liveDependencies = async () => {
        const [db, redis] = await Promise.all([startMongo(), startRedis()]);
        return { MONGODB_URI: db.uri, REDIS_URL: redis.url };
      };

      it('fails no request, organization writes included', async () => {
        const run = await rollingRestart(dir, adapter, 1_500, await liveDependencies(), withWrites);
        report('default readiness, live MongoDB and Redis', run);
        expectRestartUnderLoad(run);
        expect(run.oldExit).toEqual({ code: 0, signal: null });
        const { non2xx, errors, timeouts } = run.result;
        expect({ non2xx, errors, timeouts }).toEqual({ non2xx: 0, errors: 0, timeouts: 0 });
      }, 90_000);

      it('control: without a drain delay the same restart fails requests', async () => {
        const run = await rollingRestart(dir, adapter, 0, await liveDependencies(), withWrites);
        report('control, default readiness, drain delay 0', run);
        expectRestartUnderLoad(run);
        expect(run.result.non2xx + run.result.errors + run.result.timeouts).toBeGreaterThan(0);
      }, 90_000);
    });
});
