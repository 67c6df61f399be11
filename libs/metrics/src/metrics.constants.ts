/** Upper bounds (seconds) of `http_request_duration_seconds`, as the service contract states them. */
export const DEFAULT_HTTP_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10]);

export const DEFAULT_METRICS_PATH = '/metrics';

/** The `route` label of every request that matched no route: raw paths never become label values. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The `method` label of any request method outside `KNOWN_METHODS` (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS). */
export const OTHER_METHOD = 'OTHER';

export const KNOWN_METHODS = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const);

/** Length of the window whose quantiles `event_loop_lag_seconds` reports. */
export const DEFAULT_EVENT_LOOP_LAG_WINDOW_MS = 10_000;
