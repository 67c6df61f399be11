import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ServiceProcess, startService, waitFor } from '../support';
import { spawnTracked } from '../support/child-processes';

const HAPROXY = '/usr/sbin/haproxy';
const LOAD_SECONDS = 12;

/** One instance of the reference service, ready only on memory so haproxy's check is about shutdown alone. */
function instance(port: number, nodeId: number): Promise<ServiceProcess> {
  return startService({
    env: {
      PORT: String(port),
      DEMO_ENDPOINTS: 'true',
      HEALTH_READINESS_INCLUDE: 'memory',
      TSID_NODE_ID: String(nodeId),
      SHUTDOWN_DRAIN_DELAY_MS: '1500',
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
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

describe('rolling restart behind haproxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`fails no request while one of two instances is replaced under ${LOAD_SECONDS} s of load`, async () => {
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
    writeFileSync(join(dir, 'haproxy.cfg'), config);
    const [a, b] = await Promise.all([instance(portA, 1), instance(portB, 2)]);
    const haproxy = spawnTracked(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], {});
    let haproxyOutput = '';
    haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    // The replacement's port is in the config from the start; haproxy must have seen it down before load begins.
    await waitFor(`haproxy to see a and b up, c down\n${haproxyOutput}`, async () => {
      const states = await serverStates(statsPort);
      return states.a === 'UP' && states.b === 'UP' && states.c === 'DOWN';
    });

    const load = autocannon({
      url: `http://127.0.0.1:${frontPort}`,
      connections: 16,
      duration: LOAD_SECONDS,
      requests: [
        { method: 'GET', path: '/demo/slow?ms=20' },
        { method: 'GET', path: '/demo/ping' },
      ],
    });

    // Mid-run: start the replacement, wait until haproxy routes to it, then SIGTERM instance a.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const c = await instance(portC, 3);
    await waitFor('haproxy to see c up', async () => (await serverStates(statsPort)).c === 'UP');
    a.signal('SIGTERM');
    await waitFor('haproxy to see a down', async () => (await serverStates(statsPort)).a !== 'UP', 5_000);
    expect(await a.waitForExit(15_000)).toEqual({ code: 0, signal: null });

    const result = await load;
    console.log(
      `rolling restart: ${result.requests.total} requests in ${LOAD_SECONDS} s through haproxy, ` +
        `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
    expect(result.requests.total).toBeGreaterThan(1_000);
    expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({
      non2xx: 0,
      errors: 0,
      timeouts: 0,
    });
    expect(b.isRunning && c.isRunning).toBe(true);
  }, 60_000);
});
