import type { FallbackOptions } from '../fallback/fallback.policy';
import type { FallbackSpec } from '../pipeline/policy-spec';
import { addPolicy } from './resilient-method';

/**
 * Answers with `handler` when the call fails after every other policy (retries spent, circuit open, timeout):
 * a method name of the instance or a function, called with the instance as `this`, the error, then the arguments.
 */
export const Fallback = (handler: FallbackSpec['handler'], options: FallbackOptions = {}): MethodDecorator =>
  addPolicy('fallback', { handler, ...options });
