const brand = Symbol.for('nestjs-reliability.SignalConflictError');

/**
 * Another listener already handles a signal the shutdown sequence owns, typically Nest's `enableShutdownHooks()`,
 * which would close the application at once and cut the drain short.
 */
export class SignalConflictError extends Error {
  readonly [brand] = true;
  override readonly name = 'SignalConflictError';

  constructor(
    readonly signal: NodeJS.Signals,
    readonly listeners: number,
  ) {
    super(
      `${signal} already has ${listeners} other listener(s), such as the one Nest's app.enableShutdownHooks() installs. ` +
        `ShutdownModule must be the only owner of shutdown signals: remove enableShutdownHooks() (ShutdownModule runs ` +
        `the lifecycle hooks itself), move other signal work into ShutdownService.registerHook(), or leave ${signal} ` +
        `out of the "signals" option.`,
    );
  }
}

export const isSignalConflictError = (error: unknown): error is SignalConflictError =>
  typeof error === 'object' && error !== null && brand in error;
