import type { ResilienceListener } from '../pipeline/resilience-listener';
import type { ResolvedCircuitBreakerOptions } from './circuit-breaker.options';
import { CircuitBreakerPolicy } from './circuit-breaker.policy';

/**
 * One breaker per name, shared by every caller of that name (the first definition's options win). Keyed breakers
 * (`name/key`, e.g. one per upstream host) live in a per-name LRU capped at `maxKeys`.
 */
export class CircuitBreakerRegistry {
  private readonly named = new Map<string, CircuitBreakerPolicy>();
  private readonly keyed = new Map<string, Map<string, CircuitBreakerPolicy>>();

  constructor(private readonly listener: ResilienceListener = {}) {}

  get(name: string, options: ResolvedCircuitBreakerOptions): CircuitBreakerPolicy {
    let breaker = this.named.get(name);
    if (breaker === undefined) {
      breaker = new CircuitBreakerPolicy(name, options, this.listener);
      this.named.set(name, breaker);
      this.listener.breakerCreated?.(name);
    }
    return breaker;
  }

  getKeyed(name: string, key: string, options: ResolvedCircuitBreakerOptions, maxKeys: number): CircuitBreakerPolicy {
    let breakers = this.keyed.get(name);
    if (breakers === undefined) this.keyed.set(name, (breakers = new Map<string, CircuitBreakerPolicy>()));
    let breaker = breakers.get(key);
    if (breaker !== undefined) {
      // Move to the young end of the LRU.
      breakers.delete(key);
      breakers.set(key, breaker);
      return breaker;
    }
    if (breakers.size >= maxKeys) {
      const [oldestKey, oldest] = breakers.entries().next().value!;
      breakers.delete(oldestKey);
      oldest.shutdown();
    }
    breaker = new CircuitBreakerPolicy(`${name}/${key}`, options, this.listener);
    breakers.set(key, breaker);
    this.listener.breakerCreated?.(breaker.name);
    return breaker;
  }

  /** Every live breaker, named and keyed. */
  list(): CircuitBreakerPolicy[] {
    const all = [...this.named.values()];
    for (const breakers of this.keyed.values()) all.push(...breakers.values());
    return all;
  }

  find(name: string): CircuitBreakerPolicy | undefined {
    return this.named.get(name);
  }

  shutdown(): void {
    for (const breaker of this.list()) breaker.shutdown();
    this.named.clear();
    this.keyed.clear();
  }
}
