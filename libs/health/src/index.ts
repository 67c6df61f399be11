export { HealthRegistry } from './health.registry';
export { StartupGate } from './startup.gate';
export type { HealthIndicatorDefinition } from './health-indicator.definition';
