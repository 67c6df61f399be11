import { claimStatus, recoveryBoundMs } from './claim-status';
import { idempotencyKey } from './job-context';
import { resolveJobsOptions } from './jobs.options';

const ready = { closing: false, running: true, paused: false, connection: 'ready' };

describe('claimStatus', () => {
  it('can claim while running, not paused, not closing and connected', () => {
    expect(claimStatus('q', ready)).toEqual({ canClaim: true });
  });

  it.each([
    [{ closing: true }, 'worker of queue "q" is closed'],
    [{ paused: true }, 'worker of queue "q" is paused'],
    [{ connection: 'reconnecting' }, 'queue "q" cannot reach Redis (connection reconnecting)'],
    [{ connection: undefined }, 'queue "q" cannot reach Redis (connection not open yet)'],
    [{ running: false }, 'worker of queue "q" is not running'],
  ])('cannot claim when %j, and says why', (change, reason) => {
    expect(claimStatus('q', { ...ready, ...change })).toEqual({ canClaim: false, reason });
  });
});

describe('recoveryBoundMs', () => {
  it('is the lock duration plus the stalled-check interval, with BullMQ defaults', () => {
    expect(recoveryBoundMs({ lockDuration: 2_000, stalledInterval: 1_000 })).toBe(3_000);
    expect(recoveryBoundMs({})).toBe(60_000);
  });
});

describe('idempotencyKey', () => {
  it('is the queue and the job id, the same for every execution', () => {
    expect(idempotencyKey({ queueName: 'provisioning', id: 'org-1' })).toBe('provisioning:org-1');
    expect(() => idempotencyKey({ queueName: 'provisioning', id: undefined })).toThrow(TypeError);
  });
});

describe('resolveJobsOptions', () => {
  it('has defaults and names a bad option, its value and what is allowed', () => {
    expect(resolveJobsOptions()).toMatchObject({ countsRefreshMs: 5_000, critical: true });
    expect(() => resolveJobsOptions({ countsRefreshMs: 10 })).toThrow(
      'JobsModule: option "countsRefreshMs" is 10; it must be an integer from 100 to 2147483647.',
    );
  });
});
