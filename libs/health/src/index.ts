export { HealthRegistry } from './health.registry';
export type { HealthIndicatorDefinition } from './health-indicator.definition';
