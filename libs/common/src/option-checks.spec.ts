import { checkInteger, checkNumber, checkOneOf, InvalidOptionError, isInvalidOptionError } from '.';

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
});
