export { JobsModule } from './jobs.module';
export { JobsService } from './jobs.service';
export { JobHost } from './job-host';
export { currentJob, idempotencyKey, CORRELATION_FIELD } from './job-context';
export type { JobContext } from './job-context';
export { claimStatus, recoveryBoundMs } from './claim-status';
export type { ClaimStatus, WorkerState } from './claim-status';
export { JOBS_DEFAULTS } from './jobs.options';
export type { JobsModuleOptions } from './jobs.options';
