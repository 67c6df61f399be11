import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only when it is short and plain, so it cannot inject anything into logs or headers.
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The caller's `x-request-id` when it is safe to reuse, else a fresh UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Express/pino-http: take or make the id and return it on the response. */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const id = requestIdFor(request);
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
