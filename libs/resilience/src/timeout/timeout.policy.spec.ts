import { isCallTimeoutError } from '../errors/call-timeout.error';
import { currentAbortSignal } from '@nestjs-reliability/common';
import { TimeoutPolicy } from './timeout.policy';

describe('TimeoutPolicy', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('rejects with CallTimeoutError after ms and aborts the signal the work sees through currentAbortSignal()', async () => {
    let seen: AbortSignal | undefined;
    const running = new TimeoutPolicy('Svc.get', 50)
      .execute(async () => {
        await Promise.resolve();
        seen = currentAbortSignal();
        return new Promise(() => undefined);
      })
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(50);
    const error = await running;
    expect(isCallTimeoutError(error)).toBe(true);
    expect((error as Error).message).toBe(
      '"Svc.get" timed out after 50 ms and its work was aborted. Raise the timeout if the work is legitimately slow, or find out why it hangs.',
    );
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
  });

  it('returns the result and clears its timer when the work finishes in time', async () => {
    await expect(new TimeoutPolicy('op', 50).execute(() => 'done')).resolves.toBe('done');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('passes errors of the work through', async () => {
    await expect(new TimeoutPolicy('op', 50).execute(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      new TimeoutPolicy('op', 50).execute(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
  });

  it('aborts the work when an outer signal aborts first', async () => {
    const outer = new AbortController();
    let seen: AbortSignal | undefined;
    const running = new TimeoutPolicy('op', 1_000).execute((signal) => {
      seen = signal;
      return new Promise(() => undefined);
    }, outer.signal);
    outer.abort(new Error('client disconnected'));
    await expect(running).rejects.toThrow('client disconnected');
    expect(seen?.aborted).toBe(true);
  });

  it('has no signal outside a timeout', () => {
    expect(currentAbortSignal()).toBeUndefined();
  });
});
