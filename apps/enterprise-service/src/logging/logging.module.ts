import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { assignRequestId } from './request-id';

const QUIET_PATHS = /^\/(health\/|metrics)/;

/**
 * JSON lines on stdout (pino). Each request gets an id (from `x-request-id` or generated), returned in the
 * response header and bound as `reqId` to every log line written while serving it. Headers that carry
 * credentials are redacted; connection strings are never logged by this service.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          base: { service: config.service.name, version: config.service.version },
          // On Fastify the adapter has set `req.id` already (see app.factory.ts) and pino-http keeps it.
          genReqId: (request: IncomingMessage, response: ServerResponse) => assignRequestId(request, response),
          quietReqLogger: true,
          autoLogging: { ignore: (request: IncomingMessage) => QUIET_PATHS.test(request.url ?? '') },
          customLogLevel: (_request: IncomingMessage, response: ServerResponse, error?: Error) =>
            error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
          // pino-http invents an Error (with a stack) for every 5xx; the status already says it.
          customErrorObject: (_request: IncomingMessage, response: ServerResponse, error: Error, entry: object) =>
            error.message === `failed with status code ${response.statusCode}` ? { ...entry, err: undefined } : entry,
          serializers: {
            req: (request: { id: string; method: string; url: string }) => ({
              id: request.id,
              method: request.method,
              url: request.url,
            }),
            res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
          },
          redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
        },
      }),
    }),
  ],
})
export class LoggingModule {}
