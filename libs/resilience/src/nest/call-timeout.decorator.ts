import { addPolicy } from './resilient-method';

/**
 * Bounds each attempt to `ms` (or a named policy's timeout): rejects with `CallTimeoutError` and aborts the attempt's
 * `AbortSignal`, which the method reads with `currentAbortSignal()` and hands to fetch or its client. Not called
 * `@Timeout`, which is `@nestjs/schedule`'s one-off job decorator.
 */
export const CallTimeout = (msOrPolicy: number | string): MethodDecorator =>
  addPolicy('timeout', typeof msOrPolicy === 'string' ? msOrPolicy : { ms: msOrPolicy });
