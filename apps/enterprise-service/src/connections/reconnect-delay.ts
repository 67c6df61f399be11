/** Capped exponential backoff with full jitter for reconnect loops: attempt 1 → up to 200 ms, capped at `maxMs`. */
export function reconnectDelay(attempt: number, maxMs = 10_000): number {
  return Math.random() * Math.min(100 * 2 ** attempt, maxMs);
}
