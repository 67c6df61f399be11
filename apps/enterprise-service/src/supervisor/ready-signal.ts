import type { INestApplication } from '@nestjs/common';
import { HealthService } from '@nestjs-reliability/health';
import { ShutdownService } from '@nestjs-reliability/shutdown';
import { setTimeout as delay } from 'node:timers/promises';

const POLL_MS = 100;

/**
 * Sends `ready` over the IPC channel of a supervisor that started this process with one (PM2 with `wait_ready`),
 * once: when readiness first answers 200. PM2 stops the old worker of a reload only after its replacement sent it,
 * so a worker that cannot serve yet never replaces one that can. Without an IPC channel this does nothing.
 */
export async function signalReadyToSupervisor(app: INestApplication): Promise<void> {
  if (!process.send) return;
  const health = app.get(HealthService);
  const shutdown = app.get(ShutdownService);
  while (!shutdown.isShuttingDown) {
    // Readiness is served from the last background check round: cheap to ask often.
    if ((await health.readiness()).statusCode === 200) {
      process.send('ready');
      return;
    }
    await delay(POLL_MS, undefined, { ref: false });
  }
}
