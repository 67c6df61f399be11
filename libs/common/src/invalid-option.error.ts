const brand = Symbol.for('nestjs-reliability.InvalidOptionError');

/**
 * A configuration value that cannot work. The message names where the option belongs, the option,
 * the value given and what is allowed, so start-up fails with one line a person can act on.
 */
export class InvalidOptionError extends RangeError {
  readonly [brand] = true;
  override readonly name = 'InvalidOptionError';

  constructor(
    readonly scope: string,
    readonly option: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${scope}: option "${option}" is ${describe(value)}; ${allowed}.`);
  }
}

export const isInvalidOptionError = (error: unknown): error is InvalidOptionError =>
  typeof error === 'object' && error !== null && brand in error;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
