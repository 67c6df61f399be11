/** Options after defaults and validation (`ResolvedMetricsOptions`). */
export const RESOLVED_METRICS_OPTIONS = Symbol('nestjs-reliability:resolved-metrics-options');
