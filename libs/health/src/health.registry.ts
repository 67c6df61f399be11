import { Injectable } from '@nestjs/common';
import type { HealthCheckDefinition, HealthCheckRegistry } from '@nestjs-reliability/common';

/**
 * Where indicators are registered. Register in `onModuleInit`
 * (or earlier) so the readiness group (`include`) can be checked at bootstrap; later registrations join
 * the next background round.
 */
@Injectable()
export class HealthRegistry implements HealthCheckRegistry {
  private readonly definitions = new Map<string, HealthCheckDefinition>();

  register(definition: HealthCheckDefinition): void {
    if (typeof definition.name !== 'string' || definition.name === '') {
      throw new Error('A health indicator needs a non-empty name; it becomes the key of its check in readiness.');
    }
    if (this.definitions.has(definition.name)) {
      throw new Error(`A health indicator named "${definition.name}" is already registered; give each a unique name.`);
    }
    this.definitions.set(definition.name, definition);
  }

  list(): HealthCheckDefinition[] {
    return [...this.definitions.values()];
  }

  names(): string[] {
    return [...this.definitions.keys()];
  }
}
