const brand = Symbol.for('nestjs-reliability.ClockMovedBackwardsError');

/** The wall clock is further behind the last issued timestamp than the generator may run ahead of it. */
export class ClockMovedBackwardsError extends Error {
  readonly [brand] = true;
  override readonly name = 'ClockMovedBackwardsError';

  constructor(
    readonly behindMs: number,
    readonly maxBackwardMs: number,
  ) {
    super(
      `The clock is ${behindMs} ms behind the last issued TSID timestamp, more than the ${maxBackwardMs} ms ` +
        'the generator may run ahead of it; refusing to issue IDs until the clock catches up. Check the time sync of this host.',
    );
  }
}

export const isClockMovedBackwardsError = (error: unknown): error is ClockMovedBackwardsError =>
  typeof error === 'object' && error !== null && brand in error;
