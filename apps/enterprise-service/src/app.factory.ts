import { type DynamicModule, type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { expressRequestMiddleware } from './http/express-request.middleware';
import { installFastifyRequestHooks } from './http/fastify-request.hooks';
import { helmetHeaders } from './http/security-headers';
import { AccessLog } from './logging/access-log';
import { PinoNestLogger } from './logging/pino-nest.logger';
import { REQUEST_ID_HEADER, requestIdFor } from './logging/request-id';
import { createRootLogger } from './logging/root-logger';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Builds the service on the configured HTTP adapter (not listening yet). Everything here holds on both
 * Fastify and Express: JSON errors without stack traces, 400 naming the offending field, 413 for bodies
 * over 1 MiB, helmet's security headers, `x-request-id`, JSON log lines bound to the request being served.
 * `logDestination`: where log lines go (stdout by default; tests capture them).
 */
export function createApp(config: AppConfig, logDestination?: DestinationStream): Promise<INestApplication> {
  return createHttpApp(AppModule.forRoot(config), config, logDestination);
}

/**
 * The service's HTTP set-up around any root module. Per-request work happens at the adapter level, in one
 * Fastify hook or Express middleware placed before everything else, not in Nest middleware or interceptors.
 */
export async function createHttpApp(
  module: DynamicModule,
  config: Pick<AppConfig, 'httpAdapter' | 'logLevel' | 'service'>,
  logDestination?: DestinationStream,
): Promise<INestApplication> {
  const rootLogger = createRootLogger(config, logDestination);
  const logger = new PinoNestLogger(rootLogger);
  const accessLog = new AccessLog(rootLogger);
  const headers = helmetHeaders();
  let app: INestApplication;
  if (config.httpAdapter === 'express') {
    const express = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
      logger,
      bodyParser: false,
    });
    express.use(expressRequestMiddleware(headers, accessLog));
    express.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
    express.disable('x-powered-by');
    // Express hashes every body for a weak ETag (SHA-1, ~8 µs a request) that no client of this API uses;
    // Fastify sends none either.
    express.disable('etag');
    app = express;
  } else {
    const adapter = new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      return503OnClosing: false,
      requestIdHeader: false,
      genReqId: (request: IncomingMessage) => requestIdFor(request.headers[REQUEST_ID_HEADER]),
    });
    app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger });
    installFastifyRequestHooks(adapter.getInstance(), headers, accessLog);
  }
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false }));
  return app;
}
