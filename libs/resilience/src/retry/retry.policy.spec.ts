import { BrokenCircuitError } from '../errors/broken-circuit.error';
import { BulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { isRetryBudgetExhaustedError } from '../errors/retry-budget-exhausted.error';
import { CallTimeoutError } from '../errors/call-timeout.error';
import { resolveRetryOptions, type RetryOptions } from './retry.options';
import { RetryPolicy } from './retry.policy';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const failing = (errors: unknown[], value = 'ok') =>
  jest.fn(() => (errors.length > 0 ? Promise.reject(errors.shift() as Error) : Promise.resolve(value)));

const policy = (options: RetryOptions = {}, retried: number[] = []) =>
  new RetryPolicy('op', resolveRetryOptions('op', { jitter: 'none', retryBudget: false, ...options }), {
    retry: (_op, attempt) => retried.push(attempt),
  });

/** Runs the policy to completion under fake timers; returns the outcome and the fake time it took. */
async function run<T>(execute: () => Promise<T>) {
  const start = Date.now();
  const settled = execute().then(
    (value) => ({ value, error: undefined as unknown, elapsed: Date.now() - start }),
    (error: unknown) => ({ value: undefined, error, elapsed: Date.now() - start }),
  );
  // Not runAllTimers: the retry budget's coarse clock is an interval.
  await jest.advanceTimersByTimeAsync(600_000);
  return settled;
}

describe('RetryPolicy', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries transient failures with exponential backoff and returns the eventual success', async () => {
    const retried: number[] = [];
    const fn = failing([new HttpError(503), new HttpError(500)]);
    const outcome = await run(() => policy({ initialDelay: 100 }, retried).execute(fn));
    expect(outcome.value).toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(outcome.elapsed).toBe(100 + 200);
    expect(retried).toEqual([1, 2]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const last = new HttpError(502);
    const fn = failing([new HttpError(503), new HttpError(503), last]);
    const outcome = await run(() => policy({ maxAttempts: 3 }).execute(fn));
    expect(outcome.error).toBe(last);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it.each([400, 401, 403, 404, 409, 422])('never retries an HTTP %i', async (status) => {
    const fn = failing([new HttpError(status)]);
    const outcome = await run(() => policy().execute(fn));
    expect(outcome.error).toBeInstanceOf(HttpError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['an HTTP 429', new HttpError(429)],
    ['a timeout', new CallTimeoutError('op', 10)],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    [
      'a fetch network failure',
      new TypeError('fetch failed', { cause: Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' }) }),
    ],
  ])('retries %s by default', async (_name, error) => {
    const fn = failing([error]);
    expect((await run(() => policy().execute(fn))).value).toBe('ok');
  });

  it('does not retry an ordinary programming error by default', async () => {
    const fn = failing([new TypeError('x is undefined')]);
    expect((await run(() => policy().execute(fn))).error).toBeInstanceOf(TypeError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['an open circuit', new BrokenCircuitError('b', 'open')],
    ['a bulkhead rejection', new BulkheadRejectedError('op', 1, 0)],
  ])('never retries %s, even when retryOn accepts everything', async (_name, error) => {
    const fn = failing([error]);
    await run(() => policy({ retryOn: () => true }).execute(fn));
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('retries only the listed error classes, or what the predicate accepts', async () => {
    class Flaky extends Error {}
    expect((await run(() => policy({ retryOn: [Flaky] }).execute(failing([new Flaky()])))).value).toBe('ok');
    expect((await run(() => policy({ retryOn: [Flaky] }).execute(failing([new HttpError(503)])))).error).toBeInstanceOf(
      HttpError,
    );
    expect(
      (await run(() => policy({ retryOn: (e) => e instanceof HttpError }).execute(failing([new HttpError(400)]))))
        .value,
    ).toBe('ok');
  });

  it('calls onRetry with the attempt, the delay and the error', async () => {
    const onRetry = jest.fn();
    const error = new HttpError(503);
    await run(() => policy({ onRetry, initialDelay: 50 }).execute(failing([error])));
    expect(onRetry).toHaveBeenCalledWith({ operation: 'op', attempt: 1, delay: 50, error });
  });

  it('waits as long as a Retry-After header asks when that is longer than the backoff', async () => {
    const outcome = await run(() =>
      policy({ initialDelay: 100 }).execute(failing([new HttpError(503, { 'retry-after': '3' })])),
    );
    expect(outcome.value).toBe('ok');
    expect(outcome.elapsed).toBe(3_000);
  });

  it('starts no retry that would end after maxDuration', async () => {
    const fn = failing([new HttpError(503), new HttpError(503), new HttpError(503)]);
    const outcome = await run(() => policy({ initialDelay: 400, maxAttempts: 5, maxDuration: 1_000 }).execute(fn));
    expect(outcome.error).toBeInstanceOf(HttpError);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(outcome.elapsed).toBe(400);
  });

  it('stops waiting and rejects with the reason when its signal aborts', async () => {
    const controller = new AbortController();
    const fn = failing([new HttpError(503)]);
    const settled = policy({ initialDelay: 10_000 })
      .execute(fn, controller.signal)
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(100);
    controller.abort(new Error('caller went away'));
    expect(await settled).toEqual(new Error('caller went away'));
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('refuses a retry when the budget is spent, with RetryBudgetExhaustedError carrying the last error', async () => {
    const retry = new RetryPolicy(
      'op',
      resolveRetryOptions('op', { jitter: 'none', retryBudget: { ratio: 0, minPerSecond: 0.1, windowSeconds: 10 } }),
    );
    const cause = new HttpError(503);
    const first = jest.fn(failing([new HttpError(503)]));
    const outcome = await run(async () => {
      expect(await retry.execute(first)).toBe('ok');
      return retry.execute(failing([cause]));
    });
    expect(isRetryBudgetExhaustedError(outcome.error)).toBe(true);
    expect((outcome.error as Error).cause).toBe(cause);
    expect((outcome.error as Error).message).toContain('"op" failed after 1 attempt(s) and was not retried');
  });

  it('rejects invalid options, naming the option', () => {
    expect(() => resolveRetryOptions('DirectoryService.lookup @Retry', { maxAttempts: 0 })).toThrow(
      'DirectoryService.lookup @Retry: option "maxAttempts" is 0; it must be an integer from 1 to 100.',
    );
    expect(() => resolveRetryOptions('s', { jitter: 'random' as never })).toThrow(
      'it must be one of full, equal, decorrelated, none',
    );
    expect(() => resolveRetryOptions('s', { initialDelay: 500, maxDelay: 100 })).toThrow('"maxDelay" is 100');
  });
});
