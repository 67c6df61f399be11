import { isCallTimeoutError } from '../errors/call-timeout.error';

/** Error codes of connections that failed or broke: worth another attempt. Node's net/dns codes and undici's (fetch). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

type Loose = Record<string, unknown> | undefined;

/** The HTTP status an error carries, from the usual places: `status`, `statusCode`, `response.status`, Nest's `getStatus()`. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  for (const value of [e.status, e.statusCode, (e.response as Loose)?.status, (e.response as Loose)?.statusCode]) {
    if (typeof value === 'number') return value;
  }
  if (typeof e.getStatus === 'function') {
    const status: unknown = (e.getStatus as () => unknown).call(error);
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/** True for a connection-level failure (code on the error or on its `cause` chain, as fetch reports them). */
export function isNetworkError(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as Error).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}

/** An HTTP 4xx that is the caller's fault (not 408 Request Timeout nor 429 Too Many Requests). */
export function isClientError(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * The default of `retryOn`: network errors, timeouts (`@CallTimeout`'s, and `TimeoutError`s such as
 * `AbortSignal.timeout()` gives fetch), HTTP 5xx, 408 and 429; never another 4xx.
 */
export function isTransientError(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  if (isCallTimeoutError(error)) return true;
  if (typeof error === 'object' && error !== null && (error as Error).name === 'TimeoutError') return true;
  return isNetworkError(error);
}
