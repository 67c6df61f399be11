/** Exit codes that tell the orchestrator what happened; one definition shared by every package. */
export const ExitCode = {
  /** Graceful shutdown with every in-flight request answered. */
  Ok: 0,
  /** Fatal error (uncaught exception, unhandled rejection), after a best-effort graceful shutdown. */
  Fatal: 1,
  /** In-flight work was still open at the shutdown timeout and was cut. */
  ShutdownTimeout: 70,
  /** The TSID node lease was lost or stolen; restart to lease again. */
  LeaseLost: 75,
  /** Invalid configuration. */
  InvalidConfig: 78,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
