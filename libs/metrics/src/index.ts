export { MetricsModule } from './metrics.module';
export { MetricsService } from './metrics.service';
export { METRICS_REGISTRY } from './metrics.tokens';
export type { MetricsModuleOptions } from './metrics.options';
