export { MetricsModule } from './metrics.module';
export { MetricsService } from './metrics.service';
export { METRICS_REGISTRY } from './metrics.tokens';
export { METRICS_DEFAULTS } from './metrics.options';
export type { MetricsModuleOptions } from './metrics.options';
export { DEFAULT_HTTP_BUCKETS, DEFAULT_METRICS_PATH, OTHER_METHOD, UNMATCHED_ROUTE } from './metrics.constants';
export type { HttpErrorType } from './http-request.metrics';
export { DB_OPERATION_BUCKETS, instrumentConnection, mongooseMetricsPlugin } from './mongoose-metrics.plugin';
