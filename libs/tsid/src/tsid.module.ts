import { type ConfigurableModuleAsyncOptions, type DynamicModule, Module } from '@nestjs/common';
import { NodeLeaseService } from './node-lease.service';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, RESOLVED_TSID_OPTIONS } from './tsid.module-definition';
import { resolveTsidOptions, type TsidModuleOptions } from './tsid.options';
import { tsidGeneratorProvider } from './tsid-generator.provider';
import { TsidHealthIndicator } from './tsid.health';
import { TsidService } from './tsid.service';

/**
 * TSIDs with a static node ID (`nodeId`) or one leased in Redis (`lease`). Registers the `tsid` readiness check and
 * a startup hold when the health module is present, metrics when the metrics module is, and shuts down through
 * the shutdown module when the lease is lost (otherwise it exits with code 75 itself).
 */
@Module({
  providers: [
    { provide: RESOLVED_TSID_OPTIONS, useFactory: resolveTsidOptions, inject: [MODULE_OPTIONS_TOKEN] },
    tsidGeneratorProvider,
    TsidService,
    NodeLeaseService,
    TsidHealthIndicator,
  ],
  exports: [TsidService],
})
export class TsidModule {
  /** Global unless `isGlobal: false`. */
  static forRoot(options: TsidModuleOptions & { isGlobal?: boolean }): DynamicModule {
    return { ...ConfigurableModuleClass.forRoot(options), module: TsidModule };
  }

  /** Options from `useFactory` (with `inject`, `imports`), `useClass` or `useExisting`; global unless `isGlobal: false`. */
  static forRootAsync(
    options: ConfigurableModuleAsyncOptions<TsidModuleOptions> & { isGlobal?: boolean },
  ): DynamicModule {
    return { ...ConfigurableModuleClass.forRootAsync(options), module: TsidModule };
  }
}
