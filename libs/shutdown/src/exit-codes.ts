import { constants } from 'node:os';

/** Exit codes that tell the orchestrator what happened (see the reference service contract). */
export const ExitCode = {
  /** Graceful shutdown with every in-flight request answered. */
  Ok: 0,
  /** Fatal error (uncaught exception, unhandled rejection), after a best-effort graceful shutdown. */
  Fatal: 1,
  /** In-flight requests were still open at the shutdown timeout and were cut. */
  ShutdownTimeout: 70,
  /** The TSID node lease was lost or stolen; restart to lease again. */
  LeaseLost: 75,
  /** Invalid configuration. */
  InvalidConfig: 78,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The code of a process ended by `signal` in the shell's convention, 128 + the signal number
 * (SIGINT 130, SIGTERM 143): used when a second signal cuts the graceful sequence short.
 */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
