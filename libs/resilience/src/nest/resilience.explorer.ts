import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { ResilienceRuntime } from '../pipeline/resilience.runtime';
import { bindResilientMethod, resilientMethodOf, type ResilientMethod } from './resilient-method';

/**
 * Binds every decorated method of every singleton and transient provider and controller to this application's
 * runtime at `onModuleInit`, which validates all options at start-up (an `InvalidOptionError` names the method, the
 * decorator and the option). The wrapper itself was installed at decoration time, so routes and `@Cron` jobs that
 * captured the method before this ran still go through the policies.
 */
@Injectable()
export class ResilienceExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly runtime: ResilienceRuntime,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      if (!wrapper.isDependencyTreeStatic()) {
        this.refuseRequestScoped(wrapper);
        continue;
      }
      const instances = wrapper.isTransient
        ? wrapper.getStaticTransientInstances().map((context) => context?.instance as unknown)
        : [wrapper.instance as unknown];
      for (const instance of instances) {
        if (typeof instance !== 'object' || instance === null) continue;
        for (const record of this.recordsOf(Object.getPrototypeOf(instance) as object | null)) {
          bindResilientMethod(instance, record, this.runtime);
        }
      }
    }
  }

  /** A request-scoped instance would get new breakers, budgets and bulkheads on every request: useless, silently. */
  private refuseRequestScoped(wrapper: InstanceWrapper): void {
    const prototype = wrapper.isNotMetatype ? null : ((wrapper.metatype as { prototype?: object }).prototype ?? null);
    const [record] = this.recordsOf(prototype);
    if (record !== undefined) {
      throw new Error(
        `${record.operation} is request-scoped (it or a dependency uses Scope.REQUEST), so its resilience state (breaker, retry budget, bulkhead) would last one request; move the decorated method to a singleton provider and inject that.`,
      );
    }
  }

  private recordsOf(prototype: object | null): ResilientMethod[] {
    if (prototype === null) return [];
    const records: ResilientMethod[] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const record = resilientMethodOf((prototype as Record<string, unknown>)[name]);
      if (record !== undefined) records.push(record);
    }
    return records;
  }
}
