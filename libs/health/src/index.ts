export { HealthModule } from './health.module';
export { HealthRegistry } from './health.registry';
export { HealthService } from './health.service';
export { StartupGate } from './startup.gate';
export { HealthIndicatorCheck } from './health-indicator.decorator';
export type { HealthCheckDefinition, HealthCheckResult, StartupHold } from '@nestjs-reliability/common';
export type { HealthModuleOptions } from './health.options';
export type { CheckStatus } from './health-check.runner';
export type { ProbeAnswer } from './health.service';
