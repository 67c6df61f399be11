import fc from 'fast-check';
import { baseDelay, JITTERS, nextDelay, type BackoffOptions } from './backoff';

const options = fc
  .record({
    initialDelay: fc.integer({ min: 0, max: 10_000 }),
    extra: fc.integer({ min: 0, max: 100_000 }),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    jitter: fc.constantFrom(...JITTERS),
  })
  .map(({ extra, ...o }): BackoffOptions => ({ ...o, maxDelay: o.initialDelay + extra }));
const attempt = fc.integer({ min: 1, max: 60 });
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoff', () => {
  it('follows min(initialDelay * factor^(attempt-1), maxDelay) without jitter', () => {
    const o: BackoffOptions = { initialDelay: 100, maxDelay: 1_000, factor: 2, jitter: 'none' };
    expect([1, 2, 3, 4, 5, 6].map((n) => nextDelay(o, n, 0))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('never exceeds maxDelay nor goes below zero, for every jitter kind', () => {
    fc.assert(
      fc.property(options, attempt, fc.double({ min: 0, max: 1e6, noNaN: true }), random, (o, n, previous, r) => {
        const delay = nextDelay(o, n, previous, () => r);
        return delay >= 0 && delay <= o.maxDelay && Number.isFinite(delay);
      }),
    );
  });

  it('full jitter lies in [0, base]', () => {
    fc.assert(
      fc.property(options, attempt, random, (o, n, r) => {
        const delay = nextDelay({ ...o, jitter: 'full' }, n, 0, () => r);
        return delay >= 0 && delay <= baseDelay(o, n);
      }),
    );
  });

  it('equal jitter lies in [base / 2, base]', () => {
    fc.assert(
      fc.property(options, attempt, random, (o, n, r) => {
        const delay = nextDelay({ ...o, jitter: 'equal' }, n, 0, () => r);
        const base = baseDelay(o, n);
        return delay >= base / 2 && delay <= base;
      }),
    );
  });

  it('decorrelated jitter lies in [initialDelay, min(maxDelay, 3 * previous)]', () => {
    fc.assert(
      fc.property(options, attempt, fc.double({ min: 0, max: 1e6, noNaN: true }), random, (o, n, previous, r) => {
        const delay = nextDelay({ ...o, jitter: 'decorrelated' }, n, previous, () => r);
        const high = Math.min(o.maxDelay, Math.max(previous, o.initialDelay) * 3);
        return delay >= o.initialDelay && delay <= high;
      }),
    );
  });

  it('no jitter is exactly the base delay and grows monotonically up to maxDelay', () => {
    fc.assert(
      fc.property(options, attempt, (o, n) => {
        const none = { ...o, jitter: 'none' as const };
        return nextDelay(none, n, 0) === baseDelay(o, n) && nextDelay(none, n + 1, 0) >= nextDelay(none, n, 0);
      }),
    );
  });
});
