import { ResilienceRuntime } from '../pipeline/resilience.runtime';

let current: ResilienceRuntime | undefined;
let standalone: ResilienceRuntime | undefined;

/**
 * The runtime used by decorated methods of instances that discovery did not bind (request-scoped providers,
 * plain `new`): the latest initialised `ResilienceModule`'s, or one without metrics when there is none.
 */
export function defaultRuntime(): ResilienceRuntime {
  return current ?? (standalone ??= new ResilienceRuntime());
}

export function setDefaultRuntime(runtime: ResilienceRuntime | undefined, previous?: ResilienceRuntime): void {
  if (runtime !== undefined || current === previous) current = runtime;
}
