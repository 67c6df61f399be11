import { isBrokenCircuitError } from '../errors/broken-circuit.error';
import { BulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { CallTimeoutError } from '../errors/call-timeout.error';
import type { CircuitState } from '../pipeline/resilience-listener';
import { resolveCircuitBreakerOptions, type CircuitBreakerOptions } from './circuit-breaker.options';
import { CircuitBreakerPolicy } from './circuit-breaker.policy';

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const fail =
  (error: Error = new HttpError(503)) =>
  () =>
    Promise.reject(error);
const ok = () => Promise.resolve('ok');

function deferred<T = string>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('CircuitBreakerPolicy (state machine on opossum)', () => {
  let transitions: Array<[CircuitState, string]>;
  let breaker: CircuitBreakerPolicy;

  const create = (options: CircuitBreakerOptions = {}) => {
    transitions = [];
    breaker = new CircuitBreakerPolicy(
      'upstream',
      resolveCircuitBreakerOptions('test', { resetTimeout: 60_000, ...options }),
      {
        breakerState: (_name, state, reason) => transitions.push([state, reason]),
      },
    );
    return breaker;
  };

  const failTimes = async (n: number, error?: Error) => {
    for (let i = 0; i < n; i++) await expect(breaker.execute(fail(error))).rejects.toBeDefined();
  };

  const rejection = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBrokenCircuitError(error)).toBe(true);
    return error as Error;
  };

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    breaker.shutdown();
    jest.useRealTimers();
  });

  it('opens after five failures within ten seconds', async () => {
    create();
    await failTimes(4);
    expect(breaker.state).toBe('closed');
    jest.advanceTimersByTime(9_000);
    await failTimes(1);
    expect(breaker.state).toBe('open');
    expect(transitions).toEqual([['open', '5 failures within 10000 ms']]);
  });

  it('stays closed when the five failures are spread over more than ten seconds', async () => {
    create();
    for (let i = 0; i < 10; i++) {
      await failTimes(1);
      jest.advanceTimersByTime(2_600);
    }
    expect(breaker.state).toBe('closed');
  });

  it('rejects without running the call while open, naming the breaker', async () => {
    create();
    await failTimes(5);
    const action = jest.fn(ok);
    const error = await rejection(breaker.execute(action));
    expect(action).not.toHaveBeenCalled();
    expect(error.message).toContain('Circuit breaker "upstream" is open');
    expect(breaker.calls.rejected).toBe(1);
  });

  it('moves from open to half-open after resetTimeout', async () => {
    create();
    await failTimes(5);
    jest.advanceTimersByTime(59_999);
    expect(breaker.state).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
    expect(transitions.map(([state]) => state)).toEqual(['open', 'half-open']);
  });

  it('admits at most halfOpenMaxCalls probes while half-open and rejects the rest', async () => {
    create({ successThreshold: 2, halfOpenMaxCalls: 3 });
    await failTimes(5);
    jest.advanceTimersByTime(60_000);
    const probes = [deferred(), deferred(), deferred()];
    const running = probes.map((p) => breaker.execute(() => p.promise));
    const extra = jest.fn(ok);
    const error = await rejection(breaker.execute(extra));
    expect(error.message).toContain('half-open');
    expect(extra).not.toHaveBeenCalled();
    probes.forEach((p) => p.resolve('ok'));
    await Promise.all(running);
    expect(breaker.state).toBe('closed');
  });

  it('closes after two consecutive probe successes, not after one', async () => {
    create();
    await failTimes(5);
    jest.advanceTimersByTime(60_000);
    await breaker.execute(ok);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    expect(transitions.map(([state]) => state)).toEqual(['open', 'half-open', 'closed']);
    expect(transitions[2][1]).toBe('2 probe calls succeeded');
  });

  it('re-opens on any failure while half-open, and waits a full resetTimeout again', async () => {
    create();
    await failTimes(5);
    jest.advanceTimersByTime(60_000);
    await breaker.execute(ok);
    await failTimes(1);
    expect(breaker.state).toBe('open');
    expect(transitions.map(([state]) => state)).toEqual(['open', 'half-open', 'open']);
    jest.advanceTimersByTime(59_999);
    expect(breaker.state).toBe('open');
    jest.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
  });

  it('starts counting afresh after closing', async () => {
    create();
    await failTimes(5);
    jest.advanceTimersByTime(60_000);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await failTimes(4);
    expect(breaker.state).toBe('closed');
  });

  it('does not count errors the classification accepts, such as an upstream 404', async () => {
    create();
    await failTimes(10, new HttpError(404));
    expect(breaker.state).toBe('closed');
    expect(breaker.calls).toMatchObject({ success: 10, failure: 0 });
  });

  it('uses a custom failure classification', async () => {
    create({ isFailure: (e) => !(e instanceof HttpError && e.status === 503) });
    await failTimes(10);
    expect(breaker.state).toBe('closed');
  });

  it('counts timeouts as failures and reports them as timeouts', async () => {
    create();
    await failTimes(5, new CallTimeoutError('op', 10));
    expect(breaker.state).toBe('open');
    expect(breaker.calls).toMatchObject({ timeout: 5, failure: 0 });
  });

  it('ignores bulkhead rejections and frees their probe slot', async () => {
    create({ successThreshold: 1 });
    await failTimes(5);
    jest.advanceTimersByTime(60_000);
    await failTimes(3, new BulkheadRejectedError('op', 1, 0));
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('ignores the outcome of calls admitted before the last transition', async () => {
    create();
    const slow = deferred();
    const late = breaker.execute(() => slow.promise).catch((e: unknown) => e);
    await failTimes(5);
    jest.advanceTimersByTime(60_000);
    slow.reject(new HttpError(500));
    await late;
    expect(breaker.state).toBe('half-open');
  });

  it('counts a success slower than slowCallDuration as a failure', async () => {
    create({ slowCallDuration: 1_000, failureThreshold: 2 });
    for (let i = 0; i < 2; i++) {
      const call = deferred();
      const running = breaker.execute(() => call.promise);
      jest.advanceTimersByTime(1_001);
      call.resolve('late');
      await expect(running).resolves.toBe('late');
    }
    expect(breaker.state).toBe('open');
    expect(transitions[0][1]).toBe('2 failures within 10000 ms');
  });

  describe('failure-rate rule', () => {
    it('opens when the failure rate reaches the threshold once the minimum of calls is reached', async () => {
      create({ failureRateThreshold: 50, minimumCalls: 10 });
      await failTimes(5);
      for (let i = 0; i < 4; i++) await breaker.execute(ok);
      expect(breaker.state).toBe('closed');
      await failTimes(1);
      expect(breaker.state).toBe('open');
      expect(transitions[0][1]).toBe('50 % of at least 10 calls failed within 10000 ms');
    });

    it('stays closed below the threshold', async () => {
      create({ failureRateThreshold: 50, minimumCalls: 10 });
      for (let i = 0; i < 10; i++) {
        await breaker.execute(ok);
        await breaker.execute(ok);
        await failTimes(1);
      }
      expect(breaker.state).toBe('closed');
    });

    it('forgets calls older than the window', async () => {
      create({ failureRateThreshold: 50, minimumCalls: 4 });
      await failTimes(3);
      jest.advanceTimersByTime(11_000);
      await breaker.execute(ok);
      await breaker.execute(ok);
      await breaker.execute(ok);
      await failTimes(1);
      expect(breaker.state).toBe('closed');
    });
  });

  it('validates its options, naming them', () => {
    expect(() =>
      resolveCircuitBreakerOptions('Svc.get @CircuitBreaker', { halfOpenMaxCalls: 1, successThreshold: 2 }),
    ).toThrow('Svc.get @CircuitBreaker: option "halfOpenMaxCalls" is 1; it must be an integer from 2 to 1000.');
    expect(() => resolveCircuitBreakerOptions('s', { failureRateThreshold: 0 })).toThrow('"failureRateThreshold" is 0');
  });
});
