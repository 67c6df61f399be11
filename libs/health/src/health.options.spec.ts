import { isInvalidOptionError } from '@nestjs-reliability/common';
import { checkReadinessGroup, resolveHealthOptions } from './health.options';

describe('resolveHealthOptions', () => {
  it('applies the defaults', () => {
    const options = resolveHealthOptions({});
    expect(options).toMatchObject({
      path: 'health',
      include: undefined,
      checkTimeoutMs: 2000,
      refreshIntervalMs: 2000,
      exposeErrorDetails: true,
      liveness: undefined,
    });
    expect(options.memory).toMatchObject({ critical: true });
  });

  it('normalises the path and rejects one that is not a URL path', () => {
    expect(resolveHealthOptions({ path: '/ops/health/' }).path).toBe('ops/health');
    expect(() => resolveHealthOptions({ path: 'he alth' })).toThrow(
      'HealthModule: option "path" is "he alth"; it must be a URL path such as "health" or "ops/health".',
    );
  });

  it('rejects a timeout or interval that is not a positive integer, naming the option and value', () => {
    expect(() => resolveHealthOptions({ checkTimeoutMs: 0 })).toThrow('option "checkTimeoutMs" is 0');
    expect(() => resolveHealthOptions({ refreshIntervalMs: 1.5 })).toThrow('option "refreshIntervalMs" is 1.5');
    expect(() => resolveHealthOptions({ redis: { client: {} as never, timeoutMs: -1 } })).toThrow(
      'option "redis.timeoutMs" is -1',
    );
  });

  it('makes redis non-critical and mongodb critical unless told otherwise', () => {
    const options = resolveHealthOptions({ redis: { client: {} as never }, mongodb: { connection: {} as never } });
    expect(options.redis?.critical).toBe(false);
    expect(options.mongodb?.critical).toBe(true);
  });

  it('rejects an empty readiness group', () => {
    expect(() => resolveHealthOptions({ include: [] })).toThrow('option "include" is []');
  });
});

describe('checkReadinessGroup', () => {
  it('names the missing check and lists the registered ones', () => {
    let thrown: unknown;
    try {
      checkReadinessGroup(['mongodb', 'tsid'], ['memory', 'mongodb', 'redis']);
    } catch (error) {
      thrown = error;
    }
    expect(isInvalidOptionError(thrown)).toBe(true);
    expect((thrown as Error).message).toBe(
      'HealthModule: option "include" is ["mongodb","tsid"]; no health indicator is registered as "tsid" ' +
        '(registered: memory, mongodb, redis); remove the name or register its indicator with ' +
        'HealthRegistry.register() in onModuleInit.',
    );
  });

  it('accepts a group whose every name is registered', () => {
    expect(() => checkReadinessGroup(['memory'], ['memory', 'redis'])).not.toThrow();
  });
});
