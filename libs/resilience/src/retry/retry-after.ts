/**
 * The wait an error asks for, in ms: `retryAfterMs` (number), `retryAfter` (seconds or an HTTP date), or a
 * `Retry-After` header on `headers` / `response.headers` (plain object or fetch `Headers`).
 */
export function retryAfterMsOf(error: unknown, now = Date.now()): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0) return e.retryAfterMs;
  const raw = e.retryAfter ?? header(e.headers) ?? header((e.response as Record<string, unknown> | undefined)?.headers);
  return parseRetryAfter(raw, now);
}

function header(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') return (get as (name: string) => unknown).call(headers, 'retry-after') ?? undefined;
  return (headers as Record<string, unknown>)['retry-after'];
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value === 'number') return value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
