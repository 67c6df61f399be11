import type { RetrySpec } from '../pipeline/policy-spec';
import { addPolicy } from './resilient-method';

/**
 * Retries the method after transient failures (capped exponential backoff, full jitter, retry budget). Options, or
 * the name of a policy of `ResilienceModule.forRoot({ policies })`. Runs outside `@CircuitBreaker` and `@CallTimeout`:
 * each attempt is timed and counted by the breaker on its own.
 */
export const Retry = (options: RetrySpec | string = {}): MethodDecorator => addPolicy('retry', options);
