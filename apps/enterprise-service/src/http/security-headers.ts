import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Header name (lower case) and value pairs, in the order helmet sets them. */
export type SecurityHeaders = ReadonlyArray<readonly [string, string]>;

/**
 * The headers helmet (default options) sets on every response, computed once by running helmet against a
 * recording response. With its defaults every header is static, so setting these from the one request hook
 * sends exactly what helmet sends, without helmet's per-request work (@fastify/helmet even rebuilds helmet's
 * middleware on every request, about 40 µs).
 */
export function helmetHeaders(): SecurityHeaders {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.set(name.toLowerCase(), String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let done = false;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error instanceof Error) throw error;
    done = true;
  });
  // A helmet option that computes a header per request (a CSP nonce) would not be static: fail loudly.
  if (!done) throw new Error('helmet did not set its headers synchronously; they cannot be precomputed.');
  return [...headers];
}
