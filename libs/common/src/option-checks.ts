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
