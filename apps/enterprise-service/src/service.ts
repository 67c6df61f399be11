import { ExitCode, isInvalidOptionError } from '@nestjs-reliability/common';
import { ShutdownService } from '@nestjs-reliability/shutdown';
import { createApp } from './app.factory';
import { loadConfig } from './config/app-config';
import { ConfigError } from './config/config.error';
import { checkRedisTls } from './connections/redis-tls';
import { signalReadyToSupervisor } from './supervisor/ready-signal';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  await checkRedisTls(config);
  const app = await createApp(config);
  // Owns SIGTERM/SIGINT (instead of enableShutdownHooks): readiness 503, drain, close, wait, hooks, exit.
  app.get(ShutdownService).attach(app);
  await app.listen(config.port, '0.0.0.0');
  void signalReadyToSupervisor(app, config.port);
}

/** Starts the service; a start-up failure prints one line and exits 78 (invalid configuration) or 1. */
export function startService(): void {
  bootstrap().catch(exitOnStartupFailure);
}

function exitOnStartupFailure(error: unknown): never {
  if (error instanceof ConfigError || isInvalidOptionError(error)) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(ExitCode.InvalidConfig);
  }
  process.stderr.write(`Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(ExitCode.Fatal);
}
