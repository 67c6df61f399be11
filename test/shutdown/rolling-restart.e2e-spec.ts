import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  mongoAvailability,
  type ServiceProcess,
  startMongo,
  startRedis,
  startService,
  waitFor,
} from '../support';
import { spawnTracked } from '../support/child-processes';

const HAPROXY = '/usr/sbin/haproxy';
const LOAD_SECONDS = 12;

/** Readiness on memory alone, so haproxy's check is about shutdown alone. */
const MEMORY_ONLY = { HEALTH_READINESS_INCLUDE: 'memory' };

/** One instance of the reference service with `env` on top of the rolling-restart settings. */
function instance(port: number, nodeId: number, env: Record<string, string>): Promise<ServiceProcess> {
  return startService({
    env: {
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

interface RollingRestart {
  result: autocannon.Result;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** Epoch ms: load started, SIGTERM sent, instance a exited, load ended. */
  loadStartedAt: number;
  signalledAt: number;
  exitedAt: number;
  loadEndedAt: number;
  survivorsRunning: boolean;
}

/**
 * Two instances a and b behind haproxy under load; mid-run a replacement c starts and, once haproxy routes to it, a
 * gets SIGTERM. Every instance runs with `env`.
 */
async function rollingRestart(
  dir: string,
  env: Record<string, string>,
  requests: autocannon.Request[],
): Promise<RollingRestart> {
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
  default-server inter 200ms fall 1 rise 1
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
  const [a, b] = await Promise.all([instance(portA, 1, env), instance(portB, 2, env)]);
  const haproxy = spawnTracked(HAPROXY, ['-db', '-f', configFile], {});
  let haproxyOutput = '';
  haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
  // The replacement's port is in the config from the start; haproxy must have seen it down before load begins.
  await waitFor(`haproxy to see a and b up, c down\n${haproxyOutput}`, async () => {
    const states = await serverStates(statsPort);
    return states.a === 'UP' && states.b === 'UP' && states.c === 'DOWN';
  });

  const loadStartedAt = Date.now();
  const load = autocannon({ url: `http://127.0.0.1:${frontPort}`, connections: 16, duration: LOAD_SECONDS, requests });
  let loadEndedAt = 0;
  const loaded = load.then((result) => {
    loadEndedAt = Date.now();
    return result;
  });

  // Mid-run: start the replacement, wait until haproxy routes to it, then SIGTERM instance a.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const c = await instance(portC, 3, env);
  await waitFor('haproxy to see c up', async () => (await serverStates(statsPort)).c === 'UP');
  const signalledAt = Date.now();
  a.signal('SIGTERM');
  const exit = await a.waitForExit(15_000);
  const exitedAt = Date.now();

  const result = await loaded;
  const survivorsRunning = b.isRunning && c.isRunning;
  haproxy.kill('SIGKILL');
  return { result, exit, loadStartedAt, signalledAt, exitedAt, loadEndedAt, survivorsRunning };
}

function report(what: string, run: RollingRestart): void {
  const { result } = run;
  console.log(
    `rolling restart (${what}): ${result.requests.total} requests in ${LOAD_SECONDS} s through haproxy, ` +
      `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts; SIGTERM at ` +
      `+${run.signalledAt - run.loadStartedAt} ms, exit ${run.exit.code} at +${run.exitedAt - run.loadStartedAt} ms, ` +
      `load ended at +${run.loadEndedAt - run.loadStartedAt} ms`,
  );
}

function expectNoFailure(run: RollingRestart): void {
  expect(run.result.requests.total).toBeGreaterThan(1_000);
  const { non2xx, errors, timeouts } = run.result;
  expect({ non2xx, errors, timeouts }).toEqual({ non2xx: 0, errors: 0, timeouts: 0 });
  // The whole shutdown of a, from SIGTERM to exit, happened while the load was running.
  expect(run.signalledAt).toBeGreaterThan(run.loadStartedAt);
  expect(run.exitedAt).toBeLessThan(run.loadEndedAt);
  expect(run.exit).toEqual({ code: 0, signal: null });
  expect(run.survivorsRunning).toBe(true);
}

describe('rolling restart behind haproxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const demo: autocannon.Request[] = [
    { method: 'GET', path: '/demo/slow?ms=20' },
    { method: 'GET', path: '/demo/ping' },
  ];

  it(`fails no request while one of two instances is replaced under ${LOAD_SECONDS} s of load`, async () => {
    const run = await rollingRestart(dir, MEMORY_ONLY, demo);
    report('readiness on memory', run);
    expectNoFailure(run);
  }, 60_000);

  const mongo = mongoAvailability();
  const withMongo = mongo.skipReason === undefined ? describe : describe.skip;
  withMongo('with the default readiness checks on live MongoDB and Redis', () => {
    const writes: autocannon.Request[] = [
      ...demo,
      {
        method: 'POST',
        path: '/organizations',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"rr"}',
      },
    ];
    const live = async () => {
      const [db, redis] = await Promise.all([startMongo(), startRedis()]);
      return { MONGODB_URI: db.uri, REDIS_URL: redis.url };
    };

    it('fails no request, organizations writes included', async () => {
      const run = await rollingRestart(dir, await live(), writes);
      report('default readiness, live MongoDB and Redis', run);
      expectNoFailure(run);
    }, 90_000);

    it('control: without a drain delay the same restart fails requests, so the check above can see failures', async () => {
      const run = await rollingRestart(dir, { ...(await live()), SHUTDOWN_DRAIN_DELAY_MS: '0' }, writes);
      report('control, no drain delay', run);
      expect(run.result.non2xx + run.result.errors).toBeGreaterThan(0);
    }, 90_000);
  });
});
