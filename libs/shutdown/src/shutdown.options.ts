import { constants } from 'node:os';
import { checkInteger, InvalidOptionError } from '@nestjs-reliability/common';

export interface ShutdownModuleOptions {
  /** Signals that start the graceful sequence. Default `['SIGTERM', 'SIGINT']`; `[]` leaves signals alone. */
  signals?: readonly NodeJS.Signals[];
  /**
   * After the signal, how long readiness answers 503 while the listener still serves, so load balancers and
   * Kubernetes endpoints stop routing here before connections are refused. Default 5000 ms.
   */
  drainDelayMs?: number;
  /** Longest wait for in-flight requests once the listener is closed; the rest are cut (exit 70). Default 30000 ms. */
  timeoutMs?: number;
  /** Bound on each cleanup hook, and on Nest's `app.close()` (its lifecycle hooks) as a whole. Default 5000 ms. */
  hookTimeoutMs?: number;
  /** Log `uncaughtException` / `unhandledRejection`, shut down gracefully and exit 1. Default true. */
  handleFatalErrors?: boolean;
  /** Ends the process with the final code. Default `process.exit`; tests inject their own. */
  exit?: (code: number) => void;
}

export type ResolvedShutdownOptions = Required<ShutdownModuleOptions>;

/** The defaults, declared once. */
export const SHUTDOWN_DEFAULTS: Readonly<Required<Omit<ShutdownModuleOptions, 'exit'>>> = {
  signals: ['SIGTERM', 'SIGINT'],
  drainDelayMs: 5_000,
  timeoutMs: 30_000,
  hookTimeoutMs: 5_000,
  handleFatalErrors: true,
};

const SCOPE = 'ShutdownModule';
/** setTimeout cannot wait longer (about 24.8 days); larger values would fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Fills in the defaults and throws an `InvalidOptionError` naming the first option that cannot work. */
export function resolveShutdownOptions(options: ShutdownModuleOptions = {}): ResolvedShutdownOptions {
  const signals = options.signals ?? SHUTDOWN_DEFAULTS.signals;
  if (!Array.isArray(signals)) {
    throw new InvalidOptionError(SCOPE, 'signals', signals, 'it must be an array of signal names such as ["SIGTERM"]');
  }
  signals.forEach((signal: unknown, index) => {
    // SIGKILL and SIGSTOP never reach a handler.
    if (typeof signal !== 'string' || !(signal in constants.signals) || signal === 'SIGKILL' || signal === 'SIGSTOP') {
      throw new InvalidOptionError(
        SCOPE,
        `signals[${index}]`,
        signal,
        'it must name a signal a process can handle, such as "SIGTERM" or "SIGINT" (not SIGKILL or SIGSTOP)',
      );
    }
  });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (typeof exit !== 'function') {
    throw new InvalidOptionError(SCOPE, 'exit', exit, 'it must be a function that receives the exit code');
  }
  const handleFatalErrors = options.handleFatalErrors ?? SHUTDOWN_DEFAULTS.handleFatalErrors;
  if (typeof handleFatalErrors !== 'boolean') {
    throw new InvalidOptionError(SCOPE, 'handleFatalErrors', handleFatalErrors, 'it must be true or false');
  }
  return {
    signals: [...new Set(signals)],
    drainDelayMs: checkInteger(
      SCOPE,
      'drainDelayMs',
      options.drainDelayMs ?? SHUTDOWN_DEFAULTS.drainDelayMs,
      0,
      MAX_DELAY_MS,
    ),
    timeoutMs: checkInteger(SCOPE, 'timeoutMs', options.timeoutMs ?? SHUTDOWN_DEFAULTS.timeoutMs, 0, MAX_DELAY_MS),
    hookTimeoutMs: checkInteger(
      SCOPE,
      'hookTimeoutMs',
      options.hookTimeoutMs ?? SHUTDOWN_DEFAULTS.hookTimeoutMs,
      1,
      MAX_DELAY_MS,
    ),
    handleFatalErrors,
    exit,
  };
}
