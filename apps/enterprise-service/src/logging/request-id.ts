import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only when it is short and plain, so it cannot inject anything into logs or headers.
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The caller's `x-request-id` header value when it is safe to reuse, else a fresh UUID. */
export function requestIdFor(given: string | string[] | undefined): string {
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
