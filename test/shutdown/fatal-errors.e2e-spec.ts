import { join } from 'node:path';
import type { ServiceProcess } from '../support';
import { startTsScript } from '../support/ts-script';

const APP = join(__dirname, 'fixtures', 'shutdown-app.ts');

async function startApp(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const app = await startTsScript(APP, { NO_COLOR: '1', ...env });
  await app.waitForStatus('/ping', 200, 20_000);
  return app;
}

/** Nest's console logger writes errors to stderr and the rest to stdout. */
function errors(app: ServiceProcess): string {
  return app.output().stderr;
}

describe('shutdown on fatal errors and repeated signals (real process)', () => {
  it('logs an uncaught exception, shuts down gracefully and exits 1', async () => {
    const app = await startApp();
    expect((await fetch(`${app.url}/throw`)).status).toBe(202);
    expect(await app.waitForExit(10_000)).toEqual({ code: 1, signal: null });
    expect(errors(app)).toMatch(/Uncaught exception: boom from a timer; shutting down, exit code 1/);
    expect(errors(app)).toMatch(/Error: boom from a timer\n\s+at /); // the stack is logged
    expect(app.output().stdout).toMatch(
      /hook "flush-buffers" done[\s\S]*Shutdown complete \(\+\d+ ms\): exiting with code 1/,
    );
  });

  it('logs an unhandled rejection, shuts down gracefully and exits 1', async () => {
    const app = await startApp({ HTTP_ADAPTER: 'express' });
    expect((await fetch(`${app.url}/reject`)).status).toBe(202);
    expect(await app.waitForExit(10_000)).toEqual({ code: 1, signal: null });
    expect(errors(app)).toMatch(/Unhandled promise rejection: nobody awaited this; shutting down, exit code 1/);
    expect(app.output().stdout).toMatch(/Shutdown complete \(\+\d+ ms\): exiting with code 1/);
  });

  it('exits 0 on SIGTERM, and at once with 130 on a second SIGINT during the drain', async () => {
    const clean = await startApp();
    clean.signal('SIGTERM');
    expect(await clean.waitForExit(10_000)).toEqual({ code: 0, signal: null });

    const impatient = await startApp({ DRAIN_DELAY_MS: '30000' });
    impatient.signal('SIGINT');
    await impatient.waitForLog(/Shutdown started \(SIGINT\)/);
    impatient.signal('SIGINT');
    expect(await impatient.waitForExit(5_000)).toEqual({ code: 130, signal: null });
    expect(errors(impatient)).toMatch(/SIGINT received again during shutdown: exiting at once with code 130/);
  });
});
