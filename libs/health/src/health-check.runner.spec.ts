import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthCheckRunner } from './health-check.runner';
import type { HealthCheckDefinition } from '@nestjs-reliability/common';
import { waitFor } from '../../../test/support';

const indicators = new HealthIndicatorService();
const up = (name: string): HealthCheckDefinition => ({ name, check: () => indicators.check(name).up() });
const down = (name: string, critical: boolean, message = 'unreachable'): HealthCheckDefinition => ({
  name,
  critical,
  check: () => indicators.check(name).down({ message }),
});
const never = () => new Promise<never>(() => undefined);

function runner(definitions: HealthCheckDefinition[], defaultTimeoutMs = 1000) {
  return new HealthCheckRunner({ definitions: () => definitions, defaultTimeoutMs, intervalMs: 60_000 });
}

describe('HealthCheckRunner', () => {
  it('is ok when every check is up', async () => {
    const snapshot = await runner([up('a'), up('b')]).refresh();
    expect(snapshot.status).toBe('ok');
    expect(snapshot.checks.map((check) => [check.name, check.status])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
    ]);
  });

  it('reports a non-critical check that is down as degraded without failing', async () => {
    const snapshot = await runner([up('mongodb'), down('redis', false)]).refresh();
    expect(snapshot.status).toBe('degraded');
    expect(snapshot.checks[1]).toMatchObject({ name: 'redis', status: 'degraded', reason: 'unreachable' });
  });

  it("reports a critical check answering terminus 12's degraded as degraded, never down", async () => {
    const degraded: HealthCheckDefinition = {
      name: 'cache',
      check: () => ({ cache: { status: 'degraded', message: 'serving stale entries' } }),
    };
    const snapshot = await runner([up('mongodb'), degraded]).refresh();
    expect(snapshot.status).toBe('degraded');
    expect(snapshot.checks[1]).toMatchObject({ name: 'cache', status: 'degraded', reason: 'serving stale entries' });
  });

  it('is down when a critical check is down, whatever the others say', async () => {
    const snapshot = await runner([down('mongodb', true), down('redis', false)]).refresh();
    expect(snapshot.status).toBe('down');
    expect(snapshot.checks[0]).toMatchObject({ name: 'mongodb', status: 'down', reason: 'unreachable' });
  });

  it('reports a check that hangs as down after its own timeout, with that time as its response time', async () => {
    const hanging: HealthCheckDefinition = { name: 'slow', timeoutMs: 150, check: never };
    const started = performance.now();
    const snapshot = await runner([hanging, up('fast')], 5000).refresh();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(snapshot.checks[0]).toMatchObject({ status: 'down', reason: 'timed out after 150 ms' });
    expect(snapshot.checks[0].responseTime).toBeGreaterThanOrEqual(145);
    expect(snapshot.checks[0].responseTime).toBeLessThan(400);
    expect(snapshot.checks[1].status).toBe('ok');
  });

  it('does not start a check again while its previous run still hangs', async () => {
    let calls = 0;
    const hanging: HealthCheckDefinition = { name: 'slow', timeoutMs: 20, check: () => (calls++, never()) };
    const subject = runner([hanging]);
    await subject.refresh();
    const second = await subject.refresh();
    expect(calls).toBe(1);
    expect(second.checks[0].reason).toMatch(/^the previous check is still running after \d+ ms$/);
  });

  it('shares one round between concurrent callers', async () => {
    let calls = 0;
    const counted: HealthCheckDefinition = {
      name: 'counted',
      check: async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return indicators.check('counted').up();
      },
    };
    const subject = runner([counted]);
    const snapshots = await Promise.all(Array.from({ length: 50 }, () => subject.refresh()));
    expect(calls).toBe(1);
    expect(new Set(snapshots).size).toBe(1);
  });

  it('turns a thrown error into a one-line reason without secrets', async () => {
    const failing: HealthCheckDefinition = {
      name: 'db',
      check: () => {
        throw new Error('cannot reach mongodb://admin:hunter2@db.internal:27017/app\n    at connect (db.ts:1:1)');
      },
    };
    const snapshot = await runner([failing]).refresh();
    expect(snapshot.checks[0].reason).toBe('cannot reach [redacted url]');
  });

  it('runs the first round at start, then one interval after each round ends', async () => {
    let calls = 0;
    const counted: HealthCheckDefinition = { name: 'c', check: () => (calls++, indicators.check('c').up()) };
    const subject = new HealthCheckRunner({ definitions: () => [counted], defaultTimeoutMs: 100, intervalMs: 50 });
    subject.start();
    await new Promise((resolve) => setTimeout(resolve, 240));
    subject.stop();
    const atStop = calls;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(atStop).toBeGreaterThanOrEqual(3);
    expect(atStop).toBeLessThanOrEqual(6);
    expect(calls).toBe(atStop);
  });

  it('runs rounds at the start-up interval until one is not down, then at the normal interval', async () => {
    let calls = 0;
    let up = false;
    const flaky: HealthCheckDefinition = {
      name: 'f',
      check: () => (calls++, up ? indicators.check('f').up() : indicators.check('f').down({ message: 'connecting' })),
    };
    const subject = new HealthCheckRunner({
      definitions: () => [flaky],
      defaultTimeoutMs: 100,
      intervalMs: 60_000,
      startupIntervalMs: 10,
    });
    subject.start();
    await waitFor('three start-up rounds', () => calls >= 3);
    up = true;
    await waitFor('a round that is up', () => subject.snapshot?.status === 'ok');
    const atUp = calls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    subject.stop();
    // Control: without the start-up interval the second round would wait 60 s; after the first ok round it does.
    expect(calls).toBe(atUp);
  });
});
