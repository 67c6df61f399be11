export { ExitCode } from './exit-codes';
export { ShutdownService } from './shutdown.service';
