export { ExitCode } from '@nestjs-reliability/common';
export { signalExitCode } from './exit-codes';
export { ShutdownModule } from './shutdown.module';
export { ShutdownService } from './shutdown.service';
export { SHUTDOWN_DEFAULTS } from './shutdown.options';
export { SignalConflictError, isSignalConflictError } from './signal-conflict.error';
export type { ShutdownHook } from './shutdown-hook.definition';
export type { ShutdownModuleOptions } from './shutdown.options';
