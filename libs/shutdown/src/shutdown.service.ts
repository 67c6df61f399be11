import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { INestApplication, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  type DrainableWork,
  ExitCode,
  type InFlightRequests,
  METRICS_RECORDER,
  type MetricsRecorder,
  type ShutdownCoordinator,
} from '@nestjs-reliability/common';
import type { Server } from 'node:http';
import type { ShutdownHook } from './shutdown-hook.definition';
import { MODULE_OPTIONS_TOKEN } from './shutdown.module-definition';
import { resolveShutdownOptions } from './shutdown.options';
import type { ShutdownModuleOptions } from './shutdown.options';
import { ShutdownSequence } from './shutdown.sequence';

/**
 * The Nest face of the shutdown sequence.
 * - `isShuttingDown`: true from the first moment of shutdown; readiness reads it on every probe.
 * - `shutdown(reason, exitCode)`: starts the graceful sequence once (later calls only log); the process exits
 *   with `exitCode`, or with 70 when that was 0 and in-flight requests had to be cut.
 * - `attach(app)`: hands over the HTTP server and `app.close()`, and takes ownership of the signals.
 * - `registerHook(hook)`: cleanup work, bounded and logged.
 */
@Injectable()
export class ShutdownService
  implements ShutdownCoordinator, InFlightRequests, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Shutdown');
  private readonly sequence: ShutdownSequence;

  constructor(
    @Optional() @Inject(MODULE_OPTIONS_TOKEN) options?: ShutdownModuleOptions,
    @Optional() @Inject(METRICS_RECORDER) metrics?: MetricsRecorder,
  ) {
    const gauge = metrics?.gauge({
      name: 'shutdown_in_progress',
      help: 'Whether graceful shutdown has begun: 1 from the first moment of shutdown, 0 before.',
    });
    gauge?.set(0);
    this.sequence = new ShutdownSequence(resolveShutdownOptions(options), this.logger, () => gauge?.set(1));
  }

  get isShuttingDown(): boolean {
    return this.sequence.isShuttingDown;
  }

  /** HTTP requests received and not yet answered, as the sequence counts them. */
  get inFlight(): number {
    return this.sequence.inFlight;
  }

  shutdown(reason: string, exitCode: ExitCode = ExitCode.Ok): void {
    this.sequence.start(reason, exitCode);
  }

  /**
   * Call once in main.ts, right after `NestFactory.create` (before `listen`, so no connection goes uncounted):
   * `app.get(ShutdownService).attach(app)`. Do not call `app.enableShutdownHooks()`: this replaces it.
   */
  attach(app: Pick<INestApplication, 'getHttpServer' | 'close'>): void {
    this.sequence.attach(app.getHttpServer() as Server | undefined, () => app.close());
  }

  registerHook(hook: ShutdownHook): void {
    this.sequence.registerHook(hook);
  }

  /** Background work (e.g. queue workers) stopped at once on shutdown and drained with the requests. */
  registerWork(work: DrainableWork): void {
    this.sequence.registerWork(work);
  }

  onApplicationBootstrap(): void {
    if (!this.sequence.attached) {
      this.logger.warn(
        'ShutdownModule is imported but not attached, so signals get no graceful shutdown: ' +
          'call app.get(ShutdownService).attach(app) in main.ts before app.listen().',
      );
      return;
    }
    // Catches an app.enableShutdownHooks() added after attach(app).
    this.sequence.assertSoleOwner();
  }

  onApplicationShutdown(): void {
    this.sequence.release();
  }
}
