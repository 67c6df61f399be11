import { AsyncLocalStorage } from 'node:async_hooks';

/** What log lines written while serving a request are bound to. */
export interface RequestScope {
  readonly reqId: string;
}

/**
 * The request being served, entered once per request at the HTTP adapter level (see `src/http/`). On Node 24 an
 * AsyncLocalStorage is an async context frame: `run` costs one small allocation and `getStore` a map lookup, and
 * both Fastify's body parser and Express's `raw-body` carry the context across their stream callbacks.
 */
export const requestContext = new AsyncLocalStorage<RequestScope>();
