import type { LoggerService } from '@nestjs/common';
import { currentJob } from '@nestjs-reliability/jobs';
import type { Level, Logger } from 'pino';
import { requestContext } from './request-context';

// Nest's exception handlers call `error(message, stack)`; the stack belongs in `err`, not in the message.
const STACK = /\n\s*at /;

/**
 * Nest's `Logger` onto pino, with nestjs-pino's line shape: the context (Nest's last argument) as `context`,
 * an object message merged into the line, an `Error` as `err`. While a request is being served, its id is on
 * the line as `reqId`; while a job runs, its `jobId`, `queue` and the enqueuing request's
 * `reqId`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const scope = requestContext.getStore();
    if (scope !== undefined) fields.reqId = scope.reqId;
    else {
      // A job's lines carry its id and the id of the request that enqueued it.
      const job = currentJob();
      if (job !== undefined) {
        fields.jobId = job.jobId;
        fields.queue = job.queue;
        if (job.correlationId !== undefined) fields.reqId = job.correlationId;
      }
    }
    let args = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      args = params.slice(0, -1);
    }
    if (typeof message === 'object' && message !== null) {
      if (message instanceof Error) fields.err = message;
      else Object.assign(fields, message);
      this.logger[level](fields, ...(args as []));
    } else if (level === 'error' && args.length === 1 && typeof args[0] === 'string' && STACK.test(args[0])) {
      const error = new Error(String(message));
      error.stack = args[0];
      fields.err = error;
      this.logger.error(fields);
    } else {
      this.logger[level](fields, message as string, ...(args as []));
    }
  }
}
