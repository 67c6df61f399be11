import { ExitCode, isInvalidOptionError } from '@nestjs-reliability/common';
import { ShutdownService } from '@nestjs-reliability/shutdown';
import { createApp } from './app.factory';
import { type AppConfig, loadConfig } from './config/app-config';
import { ConfigError } from './config/config.error';
import { checkRedisTls } from './connections/redis-tls';
import { signalReadyToSupervisor } from './supervisor/ready-signal';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  await checkRedisTls(config);
  const app = await createApp(config);
  // Owns SIGTERM/SIGINT (instead of enableShutdownHooks): readiness 503, drain, close, wait, hooks, exit.
  app.get(ShutdownService).attach(app);
  // Listening also starts the metrics port (onApplicationBootstrap).
  await app.listen(config.port, '0.0.0.0').catch((error: unknown) => {
    throw portInUse(error, config) ?? error;
  });
  void signalReadyToSupervisor(app, config.port);
}

/** A start-up failure that its message explains whole: printed without a stack. */
class StartupError extends Error {}

/**
 * A port another process holds, said in one line naming the variable that chose it. Not a configuration error
 * (exit 78 would stop PM2 and systemd from retrying): the holder may be an old instance still draining.
 */
function portInUse(error: unknown, config: AppConfig): StartupError | undefined {
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code !== 'EADDRINUSE') return undefined;
  const variable = port === config.port ? 'PORT' : port === config.metrics.port ? 'METRICS_PORT' : 'a port';
  return new StartupError(`${variable} ${port} (${address}) is in use by another process`);
}

/** Starts the service; a start-up failure exits 78 (invalid configuration, one line) or 1. */
export function startService(): void {
  bootstrap().catch(exitOnStartupFailure);
}

function exitOnStartupFailure(error: unknown): never {
  if (error instanceof ConfigError || isInvalidOptionError(error)) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(ExitCode.InvalidConfig);
  }
  const detail =
    error instanceof StartupError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`Start-up failed: ${detail}\n`);
  process.exit(ExitCode.Fatal);
}
