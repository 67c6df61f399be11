import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { bindResilientMethod, resilientMethodOf } from './resilient-method';
import { ResilienceService } from './resilience.service';

/**
 * Binds every decorated method of every singleton provider and controller to this application's runtime at
 * `onModuleInit`, which validates all options at start-up (an `InvalidOptionError` names the method, the
 * decorator and the option). The wrapper itself was installed at decoration time, so routes and `@Cron` jobs that
 * captured the method before this ran still go through the policies.
 */
@Injectable()
export class ResilienceExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly resilience: ResilienceService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!wrapper.isDependencyTreeStatic() || typeof instance !== 'object' || instance === null) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (prototype === null) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const record = resilientMethodOf((prototype as Record<string, unknown>)[name]);
        if (record !== undefined) bindResilientMethod(instance, record, this.resilience.runtime);
      }
    }
  }
}
