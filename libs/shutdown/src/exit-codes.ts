import { constants } from 'node:os';

/**
 * The code of a process ended by `signal` in the shell's convention, 128 + the signal number
 * (SIGINT 130, SIGTERM 143): used when a second signal cuts the graceful sequence short.
 */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
