export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';
export const JITTERS: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

export interface BackoffOptions {
  /** Delay before the first retry, before jitter (ms). */
  initialDelay: number;
  /** Upper bound of any delay (ms). */
  maxDelay: number;
  /** Growth per attempt. */
  factor: number;
  /** How the delay is randomised; `full` spreads retries of many clients best (AWS "Exponential Backoff and Jitter"). */
  jitter: Jitter;
}

/** The un-jittered delay before retry number `retry` (1 for the first retry): `min(initialDelay * factor^(retry-1), maxDelay)`. */
export function baseDelay(options: BackoffOptions, retry: number): number {
  return Math.min(options.initialDelay * options.factor ** (retry - 1), options.maxDelay);
}

/**
 * Delay before retry number `retry`. `previous` is the delay used before the previous retry, which only the
 * decorrelated jitter uses (`min(maxDelay, random(initialDelay, previous * 3))`); `random` returns [0, 1).
 */
export function nextDelay(
  options: BackoffOptions,
  retry: number,
  previous: number,
  random: () => number = Math.random,
): number {
  switch (options.jitter) {
    case 'none':
      return baseDelay(options, retry);
    case 'full':
      return random() * baseDelay(options, retry);
    case 'equal': {
      const base = baseDelay(options, retry);
      return base / 2 + (random() * base) / 2;
    }
    case 'decorrelated': {
      const low = Math.min(options.initialDelay, options.maxDelay);
      const high = Math.max(low, Math.max(previous, low) * 3);
      return Math.min(options.maxDelay, low + random() * (high - low));
    }
  }
}
