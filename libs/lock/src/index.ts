export { LockModule } from './lock.module';
export { LockService } from './lock.service';
export type { LockOutcome, RunOptions } from './lock.service';
export { WithLock } from './with-lock.decorator';
export type { WithLockOptions } from './with-lock.decorator';
export { currentAbortSignal } from '@nestjs-reliability/common';
export { LockLostError, isLockLostError } from './lock-lost.error';
export { LockUnavailableError, isLockUnavailableError } from './lock-unavailable.error';
export type { LockModuleOptions } from './lock.options';
