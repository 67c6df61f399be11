import {
  checkInteger,
  checkKeyPrefix,
  checkNumber,
  checkOneOf,
  checkSecretToken,
  checkUrl,
  InvalidOptionError,
  isInvalidOptionError,
  maskCredentials,
} from '.';

describe('option checks', () => {
  it('names the scope, the option, the value and what is allowed', () => {
    expect(() => checkInteger('RetryModule', 'maxAttempts', 0, 1)).toThrow(
      'RetryModule: option "maxAttempts" is 0; it must be an integer ≥ 1.',
    );
    expect(() => checkNumber('Health', 'timeoutMs', -1, 0, 60_000)).toThrow(
      'Health: option "timeoutMs" is -1; it must be a number from 0 to 60000.',
    );
    expect(() => checkOneOf('App', 'HTTP_ADAPTER', 'koa', ['fastify', 'express'])).toThrow(
      'App: option "HTTP_ADAPTER" is "koa"; it must be one of fastify, express.',
    );
  });

  it('returns valid values unchanged', () => {
    expect(checkInteger('s', 'o', 3, 1, 5)).toBe(3);
    expect(checkNumber('s', 'o', 0.5, 0)).toBe(0.5);
    expect(checkOneOf('s', 'o', 'a', ['a', 'b'])).toBe('a');
  });

  it('rejects non-integers, NaN and strings that look like numbers', () => {
    for (const bad of [1.5, NaN, '3', undefined]) {
      expect(() => checkInteger('s', 'o', bad, 0)).toThrow(InvalidOptionError);
    }
  });

  it('recognises its errors by brand, also across copies of the package', () => {
    const error = new InvalidOptionError('s', 'o', 1, 'x');
    expect(isInvalidOptionError(error)).toBe(true);
    expect(error).toBeInstanceOf(RangeError);
    expect(isInvalidOptionError(new RangeError('o'))).toBe(false);
  });

  it('never prints a rejected secret token', () => {
    for (const bad of ['a b', '', 'tab\there', 'é', 42]) {
      expect(() => checkSecretToken('MetricsModule', 'token', bad)).toThrow(
        'MetricsModule: option "token" is "<redacted>"; it must be a non-empty string of printable ASCII',
      );
    }
    expect(checkSecretToken('s', 'token', 's3cr3t-._~+/=')).toBe('s3cr3t-._~+/=');
  });

  it('rejects key prefixes with whitespace, control characters or no characters', () => {
    for (const bad of ['', 'a b', 'lock\n', 'x'.repeat(101), 7]) {
      expect(() => checkKeyPrefix('LockModule', 'keyPrefix', bad)).toThrow(InvalidOptionError);
    }
    expect(checkKeyPrefix('s', 'keyPrefix', '{tsid}:')).toBe('{tsid}:');
  });

  it.each([
    ['mongodb://admin:hun/ter2@db:27017/x', 'mongodb://***@db:27017/x'],
    ['admin:hunter2@db:27017/x', '***@db:27017/x'],
    ['postgres://admin:hun@ter2@db:5432/x', 'postgres://***@db:5432/x'],
    ['redis://:hun/ter2@redis:6379', 'redis://***@redis:6379'],
    [':hunter2@redis:6379', '***@redis:6379'],
    ['mongodb://u:p?a#ss@db/x', 'mongodb://***@db/x'],
    ['redis://db:6379/0?password=hunter2&db=1', 'redis://db:6379/0?password=***&db=1'],
    ['mongodb://db/x?authSource=admin&tls=true', 'mongodb://db/x?authSource=***&tls=true'],
    ['redis://db:6379', 'redis://db:6379'],
  ])('masks the credentials of %s', (url, masked) => {
    expect(maskCredentials(url)).toBe(masked);
  });

  it('checks a URL scheme and masks the value it prints', () => {
    expect(() => checkUrl('App', 'REDIS_URL', 'http://user:s3/cret@host:6379', ['redis:', 'rediss:'])).toThrow(
      'App: option "REDIS_URL" is "http://***@host:6379"; it must be a URL starting with redis:// or rediss://.',
    );
    expect(checkUrl('s', 'o', 'rediss://h:1', ['redis:', 'rediss:'])).toBe('rediss://h:1');
  });
});
