/**
 * A millisecond clock refreshed every 100 ms by one shared, unref'd timer: reading it on every call costs a
 * variable read instead of `Date.now()`, which the retry budget's success path cannot afford.
 */
let now = Date.now();
let timer: NodeJS.Timeout | undefined;

export function coarseNow(): number {
  if (timer === undefined) {
    timer = setInterval(() => (now = Date.now()), 100);
    timer.unref();
    now = Date.now();
  }
  return now;
}
