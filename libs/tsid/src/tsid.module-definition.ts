import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TsidModuleOptions } from './tsid.options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<TsidModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

export const RESOLVED_TSID_OPTIONS = Symbol('nestjs-reliability:tsid-options');
/** The module's `TsidGenerator` (see `tsid-generator.provider.ts`). */
export const TSID_GENERATOR = Symbol('nestjs-reliability:tsid-generator');
