import type { ResilienceListener } from '../pipeline/resilience-listener';
import type { ResolvedCircuitBreakerOptions } from './circuit-breaker.options';
import { CircuitBreakerPolicy } from './circuit-breaker.policy';

/** Breakers `label/key` of one name or method, e.g. one per upstream host: an LRU capped at `maxKeys`. */
export class KeyedBreakers {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  constructor(
    private readonly label: string,
    private readonly options: ResolvedCircuitBreakerOptions,
    private readonly maxKeys: number,
    private readonly listener: ResilienceListener,
  ) {}

  get(key: string): CircuitBreakerPolicy {
    const breakers = this.breakers;
    let breaker = breakers.get(key);
    if (breaker !== undefined) {
      // Move to the young end of the LRU.
      breakers.delete(key);
      breakers.set(key, breaker);
      return breaker;
    }
    if (breakers.size >= this.maxKeys) {
      const [oldestKey, oldest] = breakers.entries().next().value!;
      breakers.delete(oldestKey);
      oldest.shutdown();
    }
    breaker = new CircuitBreakerPolicy(`${this.label}/${key}`, this.options, this.listener);
    breakers.set(key, breaker);
    this.listener.breakerCreated?.(breaker.name);
    return breaker;
  }

  values(): IterableIterator<CircuitBreakerPolicy> {
    return this.breakers.values();
  }
}

/**
 * The breakers of one application. A named breaker is shared by every caller of that name (the first definition's
 * options win); a method without a name gets a breaker of its own, so two classes that happen to share a name never
 * share a breaker.
 */
export class CircuitBreakerRegistry {
  private readonly named = new Map<string, CircuitBreakerPolicy>();
  private readonly namedKeyed = new Map<string, KeyedBreakers>();
  /** Breakers (and keyed groups) of one method each, by their label. */
  private readonly own = new Map<string, CircuitBreakerPolicy>();
  private readonly ownKeyed: KeyedBreakers[] = [];

  constructor(private readonly listener: ResilienceListener = {}) {}

  /** The breaker named `name`, shared by every caller of that name. */
  shared(name: string, options: ResolvedCircuitBreakerOptions): CircuitBreakerPolicy {
    let breaker = this.named.get(name);
    if (breaker === undefined) this.named.set(name, (breaker = this.create(name, options)));
    return breaker;
  }

  /** A new breaker for one method; `label` must be unique among them (metrics and logs name it). */
  ownBreaker(label: string, options: ResolvedCircuitBreakerOptions): CircuitBreakerPolicy {
    const breaker = this.create(label, options);
    this.own.set(label, breaker);
    return breaker;
  }

  /** Keyed breakers shared by `name`, or a new group for one method (labelled `label`) when `name` is undefined. */
  keyed(
    name: string | undefined,
    label: string,
    options: ResolvedCircuitBreakerOptions,
    maxKeys: number,
  ): KeyedBreakers {
    if (name === undefined) {
      const group = new KeyedBreakers(label, options, maxKeys, this.listener);
      this.ownKeyed.push(group);
      return group;
    }
    let group = this.namedKeyed.get(name);
    if (group === undefined)
      this.namedKeyed.set(name, (group = new KeyedBreakers(name, options, maxKeys, this.listener)));
    return group;
  }

  /** Every live breaker, named, own and keyed. */
  list(): CircuitBreakerPolicy[] {
    const all = [...this.named.values(), ...this.own.values()];
    for (const group of [...this.namedKeyed.values(), ...this.ownKeyed]) all.push(...group.values());
    return all;
  }

  /** The breaker named, or labelled, `name`. */
  find(name: string): CircuitBreakerPolicy | undefined {
    return this.named.get(name) ?? this.own.get(name);
  }

  shutdown(): void {
    for (const breaker of this.list()) breaker.shutdown();
    this.named.clear();
    this.namedKeyed.clear();
    this.own.clear();
    this.ownKeyed.length = 0;
  }

  private create(name: string, options: ResolvedCircuitBreakerOptions): CircuitBreakerPolicy {
    const breaker = new CircuitBreakerPolicy(name, options, this.listener);
    this.listener.breakerCreated?.(name);
    return breaker;
  }
}
