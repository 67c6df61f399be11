import type { ExitCode } from './exit-codes';

/**
 * What other packages need of graceful shutdown: whether it has begun (readiness turns 503 on it) and a way to
 * ask for it with an exit code. `@nestjs-reliability/shutdown` provides it under `SHUTDOWN_COORDINATOR`; without
 * it, a package falls back to its own behaviour (TSID exits 75 itself).
 */
export interface ShutdownCoordinator {
  readonly isShuttingDown: boolean;
  /** Starts the graceful sequence once; the process then exits with `exitCode` (70 when work was cut). */
  shutdown(reason: string, exitCode: ExitCode): void;
}

/**
 * The HTTP requests received and not yet answered, as graceful shutdown counts them (queued pipelined requests
 * included). `@nestjs-reliability/shutdown` provides it under `IN_FLIGHT_REQUESTS`; metrics reports this count
 * when it is present, so the gauge shows the number shutdown acts on.
 */
export interface InFlightRequests {
  readonly inFlight: number;
}
