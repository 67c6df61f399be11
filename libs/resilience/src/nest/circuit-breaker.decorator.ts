import type { CircuitBreakerSpec } from '../pipeline/policy-spec';
import { addPolicy } from './resilient-method';

/**
 * Runs the method through a circuit breaker of its own, or through the breaker named `name`, shared by every method
 * that names it. A string names a policy of `ResilienceModule.forRoot({ policies })`: its breaker, shared by that name.
 * Options of a policy with the same name as `name` apply underneath.
 */
export const CircuitBreaker = (options: CircuitBreakerSpec | string = {}): MethodDecorator =>
  addPolicy('circuitBreaker', options);
