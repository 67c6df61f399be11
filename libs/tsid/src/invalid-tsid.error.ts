const brand = Symbol.for('nestjs-reliability.InvalidTsidError');

/** Text or a number that is not a TSID. The message quotes the input (shortened) and says what a TSID looks like. */
export class InvalidTsidError extends TypeError {
  readonly [brand] = true;
  override readonly name = 'InvalidTsidError';

  constructor(
    readonly input: unknown,
    readonly reason: string,
  ) {
    super(
      `${quote(input)} is not a TSID: ${reason}. A TSID is 13 Crockford base32 characters ` +
        '(0-9 and A-Z without U; I and L read as 1, O as 0), the first one 0-F.',
    );
  }
}

export const isInvalidTsidError = (error: unknown): error is InvalidTsidError =>
  typeof error === 'object' && error !== null && brand in error;

function quote(input: unknown): string {
  if (typeof input === 'bigint') return `${input}n`;
  if (typeof input !== 'string') return `A value of type ${typeof input}`;
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
}
