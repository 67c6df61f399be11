import type { CircuitBreakerSpec } from '../pipeline/policy-spec';
import { addPolicy } from './resilient-method';

/**
 * Runs the method through a named circuit breaker (the name alone, or options with `name`; default `Class.method`).
 * Options of a policy with the same name in `ResilienceModule.forRoot({ policies })` apply underneath.
 */
export const CircuitBreaker = (options: CircuitBreakerSpec | string = {}): MethodDecorator =>
  addPolicy('circuitBreaker', options);
