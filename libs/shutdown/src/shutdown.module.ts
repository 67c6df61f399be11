import { Module } from '@nestjs/common';
import { ConfigurableModuleClass } from './shutdown.module-definition';
import { ShutdownService } from './shutdown.service';

/**
 * Graceful shutdown: `ShutdownModule.forRoot({ drainDelayMs, timeoutMs })` (global), then in main.ts
 * `app.get(ShutdownService).attach(app)` instead of `app.enableShutdownHooks()`.
 */
@Module({
  providers: [ShutdownService],
  exports: [ShutdownService],
})
export class ShutdownModule extends ConfigurableModuleClass {}
