import type { INestApplication } from '@nestjs/common';
import { ShutdownService } from '@nestjs-reliability/shutdown';
import { setTimeout as delay } from 'node:timers/promises';

const POLL_MS = 100;

/**
 * Sends `ready` over the IPC channel of a supervisor that started this process with one (PM2 with `wait_ready`),
 * once: when readiness first answers 200. PM2 stops the old worker of a reload only after its replacement sent it,
 * so a worker that cannot serve yet never replaces one that can. Without an IPC channel this does nothing.
 * It asks the probe over HTTP, as the orchestrator would, so `ready` also means the listener answers.
 */
export async function signalReadyToSupervisor(app: INestApplication, port: number): Promise<void> {
  if (!process.send) return;
  const shutdown = app.get(ShutdownService);
  const probe = `http://127.0.0.1:${port}/health/readiness`;
  while (!shutdown.isShuttingDown) {
    // Readiness is served from the last background check round: cheap to ask often.
    if (
      await fetch(probe).then(
        (response) => response.ok,
        () => false,
      )
    ) {
      process.send('ready');
      return;
    }
    await delay(POLL_MS, undefined, { ref: false });
  }
}
