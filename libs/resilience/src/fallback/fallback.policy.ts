import type { ErrorClass } from '../retry/retry.options';

export interface FallbackOptions {
  /** Errors that get the fallback (classes or predicate); others propagate. Default: every error. */
  on?: readonly ErrorClass[] | ((error: unknown) => boolean);
}

/** Answers with `handler(error)` when the call fails with an error that `on` accepts. */
export class FallbackPolicy {
  private readonly accepts: (error: unknown) => boolean;

  constructor(options: FallbackOptions = {}) {
    const on = options.on;
    this.accepts =
      on === undefined
        ? () => true
        : Array.isArray(on)
          ? (e) => on.some((c) => e instanceof c)
          : (on as (e: unknown) => boolean);
  }

  async execute<T>(
    fn: () => T | Promise<T>,
    handler: (error: unknown) => T | Promise<T>,
    onFallback?: () => void,
  ): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!this.accepts(error)) throw error;
      onFallback?.();
      return handler(error);
    }
  }
}
