import { type DynamicModule, HttpException, type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsService } from '@nestjs-reliability/metrics';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import pino, { type DestinationStream } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { applyRequestTimeouts, clientErrorHandler } from './http/client-errors';
import { expressJsonBody } from './http/express-json-body.middleware';
import { expressRequestMiddleware } from './http/express-request.middleware';
import { installFastifyRequestHooks } from './http/fastify-request.hooks';
import { BODY_LIMIT_BYTES, type BodyError, contentTypeError, parseJsonBody } from './http/json-body';
import { apiSecurityHeaders } from './http/security-headers';
import { AccessLog } from './logging/access-log';
import { PinoNestLogger } from './logging/pino-nest.logger';
import { REQUEST_ID_HEADER, requestIdFor } from './logging/request-id';
import { createRootLogger } from './logging/root-logger';
import { TurnBufferedDestination } from './logging/turn-buffered.destination';

// Longer than any URL Node accepts (16 KiB of headers): a long path parameter reaches its route, which answers 400,
// instead of Fastify's 414 that echoes the URL.
const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * Builds the service on the configured HTTP adapter (not listening yet). Everything here holds on both
 * Fastify and Express: JSON errors without stack traces, 400 naming the offending field, JSON bodies only (415
 * otherwise; 400 when malformed, not UTF-8 or too deeply nested; 413 over 1 MiB), requests not received within
 * `HTTP_REQUEST_TIMEOUT_MS` answered 408 and counted, a JSON API's security headers (security-headers.ts),
 * `x-request-id`, JSON log lines bound to the request being served.
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
  config: Pick<AppConfig, 'httpAdapter' | 'httpRequestTimeoutMs' | 'logLevel' | 'service'>,
  logDestination?: DestinationStream,
): Promise<INestApplication> {
  const destination = logDestination ?? new TurnBufferedDestination(pino.destination({ dest: 1, sync: true }));
  const rootLogger = createRootLogger(config, destination);
  const logger = new PinoNestLogger(rootLogger);
  const accessLog = new AccessLog(rootLogger);
  const headers = apiSecurityHeaders();
  // Counted once the app exists (the counter lives in its registry); a timeout cannot happen before `listen`.
  let countTimeout = (): void => undefined;
  const onClientError = clientErrorHandler(() => countTimeout());
  // Errors during start-up (a library option that cannot work) reach main.ts, which prints one line.
  const options = { logger, bodyParser: false, abortOnError: false };
  let app: INestApplication;
  // Only the configured adapter is loaded: the other one's modules were 4 % of a start.
  if (config.httpAdapter === 'express') {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    const express = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), options);
    express.use(expressRequestMiddleware(headers, accessLog));
    express.use(expressJsonBody());
    express.getHttpServer().on('clientError', onClientError);
    express.disable('x-powered-by');
    // Express hashes every body for a weak ETag (SHA-1, ~8 µs a request) that no client of this API uses;
    // Fastify sends none either.
    express.disable('etag');
    app = express;
  } else {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const adapter = new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      return503OnClosing: false,
      requestIdHeader: false,
      genReqId: (request: IncomingMessage) => requestIdFor(request.headers[REQUEST_ID_HEADER]),
      routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
      clientErrorHandler: onClientError,
    });
    app = await NestFactory.create<NestFastifyApplication>(module, adapter, options);
    installFastifyRequestHooks(adapter.getInstance(), headers, accessLog);
    installFastifyJsonBody(adapter.getInstance());
  }
  applyRequestTimeouts(app.getHttpServer() as Server, config.httpRequestTimeoutMs);
  if (destination instanceof TurnBufferedDestination) {
    (app.getHttpServer() as Server).once('listening', () => destination.bufferTurns());
  }
  const timeouts = metricsOf(app)?.counter({
    name: 'http_request_timeouts_total',
    help: 'Requests answered 408 and closed because they were not fully received within HTTP_REQUEST_TIMEOUT_MS.',
  });
  if (timeouts) countTimeout = () => timeouts.inc();
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false }));
  return app;
}

/** Fastify's side of the body rules in json-body.ts: one parser for every content type, which refuses all but JSON. */
function installFastifyJsonBody(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const refused = contentTypeError(request.headers['content-type']);
    if (refused) {
      done(httpError(refused), undefined);
      return;
    }
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(httpError(error as BodyError), undefined);
    }
  });
}

/** Nest's exception filter answers an `HttpException` with its JSON body; Fastify's errors would lose `error`. */
function httpError(error: BodyError): HttpException {
  return new HttpException(error.toJSON(), error.statusCode);
}

/** The app's `MetricsService`, when its root module imports `MetricsModule` (the service's does; test apps may not). */
function metricsOf(app: INestApplication): MetricsService | undefined {
  try {
    return app.get(MetricsService, { strict: false });
  } catch {
    return undefined;
  }
}
