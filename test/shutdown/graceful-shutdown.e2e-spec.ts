import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type ServiceProcess, startService, waitFor } from '../support';
import { rawGet, type RawAnswer } from '../support/raw-get';

const READINESS = '/health/readiness';

/** The built reference service with readiness depending only on memory, so it is 200 until shutdown begins. */
function start(adapter: string, env: Record<string, string>): Promise<ServiceProcess> {
  return startService({
    env: {
      HTTP_ADAPTER: adapter,
      DEMO_ENDPOINTS: 'true',
      HEALTH_READINESS_INCLUDE: 'memory',
      TSID_NODE_ID: '1',
      ...env,
    },
    waitFor: READINESS,
  });
}

describe.each(['fastify', 'express'])('graceful shutdown of the reference service on %s', (adapter) => {
  it('answers 50 in-flight slow requests after SIGTERM, drains, refuses new connections and exits 0', async () => {
    const drainDelayMs = 500;
    const requestMs = 1_500;
    const service = await start(adapter, {
      SHUTDOWN_DRAIN_DELAY_MS: String(drainDelayMs),
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    const keepAlive = new Agent({ keepAlive: true });
    const idle = await rawGet(service.port, '/demo/ping', keepAlive);
    expect(idle).toMatchObject({ status: 200, connection: 'keep-alive' });
    let idleClosed = false;
    idle.socket.once('close', () => (idleClosed = true));

    let sent = 0;
    const slow = Array.from({ length: 50 }, () =>
      rawGet(service.port, `/demo/slow?ms=${requestMs}`, false, () => sent++),
    );
    // Every request is on the wire before the signal; the service reads them during the drain delay at the latest
    // (the log line asserted below shows all 50 counted in flight when the listener closed).
    await waitFor('50 slow requests sent', () => sent === 50);

    const signalledAt = performance.now();
    service.signal('SIGTERM');
    let readiness: RawAnswer;
    do readiness = await rawGet(service.port, READINESS);
    while (readiness.status === 200);
    const notReadyAfter = performance.now() - signalledAt;
    expect(readiness.status).toBe(503); // answered on a new connection: the listener is still open
    // The flag flips synchronously in the signal handler (the in-process spec bounds it at 50 ms); across
    // processes on a loaded two-core machine scheduling dominates, so this asserts the property that matters to a
    // load balancer, 503 well inside the drain delay, and prints the figure.
    console.log(`${adapter}: readiness answered 503 ${notReadyAfter.toFixed(1)} ms after SIGTERM`);
    expect(notReadyAfter).toBeLessThan(drainDelayMs / 2);

    await service.waitForLog(/Drain delay over/);
    await expect(rawGet(service.port, '/demo/ping')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const answers = await Promise.all(slow);
    expect(answers.map(({ status }) => status)).toEqual(Array(50).fill(200));
    expect(await service.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    const exitedAfter = performance.now() - signalledAt;
    expect(idleClosed).toBe(true);
    expect(exitedAfter).toBeLessThanOrEqual(drainDelayMs + requestMs + 1_000);
    expect(service.output().stdout).toMatch(/50 request\(s\) in flight on 50 connection\(s\)/);
    keepAlive.destroy();
  });

  it('cuts a request longer than the shutdown timeout and exits 70', async () => {
    const service = await start(adapter, { SHUTDOWN_DRAIN_DELAY_MS: '200', SHUTDOWN_TIMEOUT_MS: '300' });
    let sent = false;
    const long = rawGet(service.port, '/demo/slow?ms=10000', false, () => (sent = true));
    await waitFor('the long request sent', () => sent);
    service.signal('SIGTERM');

    await expect(long).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await service.waitForExit(10_000)).toEqual({ code: 70, signal: null });
    expect(service.output().stdout).toMatch(/Shutdown timeout of 300 ms reached .*cut 1 request\(s\) in flight/);
  });
});
