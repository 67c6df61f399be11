import { Injectable } from '@nestjs/common';
import { ExitCode } from './exit-codes';

/**
 * PUBLIC API CONTRACT (owned by libs/shutdown; internals to be completed there):
 * - `isShuttingDown`: true from the first moment of shutdown; readiness reads it on every probe.
 * - `shutdown(reason, exitCode)`: starts the graceful sequence once (later calls only log); the process
 *   exits with `exitCode` when the sequence completes, or 70 if in-flight requests had to be cut.
 */
@Injectable()
export class ShutdownService {
  private shuttingDown = false;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  shutdown(_reason: string, _exitCode: ExitCode = ExitCode.Ok): void {
    this.shuttingDown = true;
  }
}
