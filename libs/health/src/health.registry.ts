import { Injectable } from '@nestjs/common';
import type { HealthIndicatorDefinition } from './health-indicator.definition';

/** PUBLIC API CONTRACT (owned by libs/health): where indicators are registered, at `onModuleInit` or later. */
@Injectable()
export class HealthRegistry {
  private readonly definitions = new Map<string, HealthIndicatorDefinition>();

  register(definition: HealthIndicatorDefinition): void {
    if (this.definitions.has(definition.name)) {
      throw new Error(`A health indicator named "${definition.name}" is already registered; give each a unique name.`);
    }
    this.definitions.set(definition.name, definition);
  }

  list(): HealthIndicatorDefinition[] {
    return [...this.definitions.values()];
  }
}
