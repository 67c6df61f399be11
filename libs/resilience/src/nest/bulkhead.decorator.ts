import type { BulkheadSpec } from '../pipeline/policy-spec';
import { addPolicy } from './resilient-method';

/** At most `maxConcurrent` running calls and `maxQueue` waiting; the rest reject with `BulkheadRejectedError`. */
export const Bulkhead = (options: BulkheadSpec | string): MethodDecorator => addPolicy('bulkhead', options);
