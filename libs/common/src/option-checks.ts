import { InvalidOptionError } from './invalid-option.error';

/** Throws unless `value` is an integer in [min, max]; returns it typed as a number. */
export function checkInteger(
  scope: string,
  option: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new InvalidOptionError(scope, option, value, `it must be ${range}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max]. */
export function checkNumber(scope: string, option: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `a number ≥ ${min}` : `a number from ${min} to ${max}`;
    throw new InvalidOptionError(scope, option, value, `it must be ${range}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(scope: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(scope, option, value, `it must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * Throws unless `value` is a non-empty string without whitespace or control characters (a bearer token, an API
 * key). The error never carries the value: a rejected secret is printed as `<redacted>`.
 */
export function checkSecretToken(scope: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]+$/.test(value)) {
    throw new InvalidOptionError(
      scope,
      option,
      '<redacted>',
      'it must be a non-empty string of printable ASCII without whitespace, or unset',
    );
  }
  return value;
}

/**
 * Throws unless `value` is a key prefix for Redis (1–100 printable ASCII characters, no whitespace): a prefix with
 * spaces or control characters is a typo that would silently share or scatter keys.
 */
export function checkKeyPrefix(scope: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,100}$/.test(value)) {
    throw new InvalidOptionError(
      scope,
      option,
      value,
      'it must be 1 to 100 printable ASCII characters without whitespace',
    );
  }
  return value;
}

/**
 * Throws unless `value` is a URL whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`). The error
 * carries the value with its credentials masked ({@link maskCredentials}).
 */
export function checkUrl(scope: string, option: string, value: unknown, protocols: readonly string[]): string {
  let protocol: string | undefined;
  try {
    protocol = typeof value === 'string' ? new URL(value).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol === undefined || !protocols.includes(protocol)) {
    throw new InvalidOptionError(
      scope,
      option,
      typeof value === 'string' ? maskCredentials(value) : value,
      `it must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
  }
  return value as string;
}

// Everything up to the last `@`: user info may itself contain `/`, `?`, `@` or `:`, and may come without a scheme.
// Masking a little too much (an `@` in a query) is fine; printing a password is not.
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)?.*@/is;
const SECRET_PARAMETER = /([?&;](?:[^=&;]*(?:pass|pwd|secret|token|key|auth|credential)[^=&;]*)=)[^&;#]*/gi;

/**
 * A connection string fit to print: the user-info part (`user:password@`, however odd) and the values of query
 * parameters that look like secrets (`password=`, `authToken=`...) replaced by `***`.
 */
export function maskCredentials(value: string): string {
  return value.replace(USER_INFO, '$1***@').replace(SECRET_PARAMETER, '$1***');
}
