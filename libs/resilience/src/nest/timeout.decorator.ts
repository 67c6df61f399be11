import { addPolicy } from './resilient-method';

/**
 * Bounds each attempt to `ms` (or a named policy's timeout): rejects with `TimeoutError` and aborts the attempt's
 * `AbortSignal`, which the method reads with `currentAbortSignal()` and hands to fetch or its client.
 */
export const Timeout = (msOrPolicy: number | string): MethodDecorator =>
  addPolicy('timeout', typeof msOrPolicy === 'string' ? msOrPolicy : { ms: msOrPolicy });
