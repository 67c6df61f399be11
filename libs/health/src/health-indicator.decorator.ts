import { DiscoveryService } from '@nestjs/core';
import type { HealthCheckDefinition } from '@nestjs-reliability/common';

/**
 * Registers a provider's method as a health indicator, as `HealthRegistry.register` would:
 *
 * ```ts
 * @HealthIndicatorCheck({ name: 'work-queue', critical: false })
 * canClaimWork(): HealthIndicatorResult { ... }
 * ```
 * The method is found at module initialisation and called with its instance as `this`.
 */
export const HealthIndicatorCheck = DiscoveryService.createDecorator<Omit<HealthCheckDefinition, 'check'>>();
