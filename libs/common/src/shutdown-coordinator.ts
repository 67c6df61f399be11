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
  /** Adds background work that the sequence stops at once and drains along with the HTTP requests. */
  registerWork(work: DrainableWork): void;
}

/**
 * Background work (queue workers, consumers) that graceful shutdown drains with the HTTP requests, under the same
 * timeout: `stopAccepting` when shutdown begins, then `whenIdle`; at the timeout `cut` hands back what is still
 * running and the process exits 70.
 */
export interface DrainableWork {
  /** Shown in the sequence's log lines. */
  readonly name: string;
  /** Called synchronously when shutdown begins: take no new work from now on. */
  stopAccepting(): void;
  /** Resolves once the work in hand is finished. */
  whenIdle(): Promise<void>;
  /** The timeout passed: give the unfinished work back so another instance takes it; resolves to how much was cut. */
  cut(): Promise<number>;
}

/**
 * The HTTP requests received and not yet answered, as graceful shutdown counts them (queued pipelined requests
 * included). `@nestjs-reliability/shutdown` provides it under `IN_FLIGHT_REQUESTS`; metrics reports this count
 * when it is present, so the gauge shows the number shutdown acts on.
 */
export interface InFlightRequests {
  readonly inFlight: number;
}
