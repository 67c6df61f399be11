export { HealthModule } from './health.module';
export { HealthRegistry } from './health.registry';
export { StartupGate } from './startup.gate';
export { HealthIndicatorCheck } from './health-indicator.decorator';
export type { HealthCheckDefinition, StartupHold } from '@nestjs-reliability/common';
export { HEALTH_DEFAULTS } from './health.options';
export type { HealthModuleOptions } from './health.options';
