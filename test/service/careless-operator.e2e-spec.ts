import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { freePort, SERVICE_MAIN } from '../support';

/**
 * Start-up as a careless operator would configure it: every mistake is exit 78, one line, no secret printed; a port
 * another process holds is one line too.
 */
describe.each(['fastify', 'express'])('start-up with a careless configuration on %s', (adapter) => {
  let port: string;
  beforeAll(async () => {
    // Never a standard port, should a configuration be accepted after all.
    port = String(await freePort());
  });

  const start = (env: Record<string, string>) => {
    const result = spawnSync(process.execPath, [SERVICE_MAIN], {
      env: { PATH: process.env.PATH, PORT: port, HTTP_ADAPTER: adapter, ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });
    return { status: result.status, stdout: result.stdout, lines: result.stderr.trim().split('\n') };
  };

  it.each([
    ['MONGODB_URI', 'mongodb://admin:hun/ter2@db:27017/x'],
    ['MONGODB_URI', 'admin:hunter2@db:27017/x'],
    ['MONGODB_URI', 'postgres://admin:hun@ter2@db:5432/x'],
    ['REDIS_URL', 'redis://:hun/ter2@redis:6379'],
    ['REDIS_URL', ':hunter2@redis:6379'],
  ])('exits 78 naming %s without printing the password of %s', (variable, value) => {
    const { status, stdout, lines } = start({ [variable]: value });
    expect(status).toBe(78);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Invalid configuration: ${variable} is ".*\\*\\*\\*@`));
    expect(lines[0] + stdout).not.toMatch(/hun|ter2/);
  });

  it.each([
    ['METRICS_TOKEN', 'a b', /METRICS_TOKEN is "<redacted>"; it must be a non-empty string of printable ASCII/],
    ['METRICS_HOST', 'not a host', /METRICS_HOST is "not a host"; it must be an IP address or a host name/],
    ['MONGODB_URI', 'mongodb://admin:hunter2@127.0.0.1:9/x?tls=maybe', /the MongoDB driver rejects it: tls/],
    ['HTTP_REQUEST_TIMEOUT_MS', '0', /HTTP_REQUEST_TIMEOUT_MS is "0"; it must be an integer from 100 to 3600000/],
    // Durations the service hands to a library, which takes no more than a Node timer does.
    [
      'UPSTREAM_TIMEOUT_MS',
      '9999999999',
      /UPSTREAM_TIMEOUT_MS is "9999999999"; it must be an integer from 1 to 2147483647/,
    ],
    [
      'UPSTREAM_BREAKER_RESET_MS',
      '9999999999',
      /UPSTREAM_BREAKER_RESET_MS is "9999999999"; it must be an integer from 1/,
    ],
    ['SHUTDOWN_TIMEOUT_MS', '9999999999', /SHUTDOWN_TIMEOUT_MS is "9999999999"; it must be an integer from 0 to/],
    ['SHUTDOWN_DRAIN_DELAY_MS', '9999999999', /SHUTDOWN_DRAIN_DELAY_MS is "9999999999"; it must be an integer from 0/],
  ])('exits 78 with one line naming %s for %j, and no stack', (variable, value, message) => {
    const { status, stdout, lines } = start({ [variable]: value });
    expect(status).toBe(78);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toContain('hunter2');
    expect(stdout).not.toMatch(/"stack"|Module/);
  });

  // Exit 1, not 78: the process holding the port may be an old instance still draining, so a restart may succeed.
  it.each(['PORT', 'METRICS_PORT'])(
    'exits 1 with one line naming %s when another process listens on it',
    async (variable) => {
      const holder = createServer();
      const held = await freePort();
      await new Promise<void>((resolve) => holder.listen(held, '127.0.0.1', resolve));
      try {
        const { status, lines } = start({ [variable]: String(held) });
        expect({ status, lines }).toEqual({
          status: 1,
          lines: [`Start-up failed: ${variable} ${held} (0.0.0.0) is in use by another process`],
        });
      } finally {
        holder.close();
      }
    },
  );
});
