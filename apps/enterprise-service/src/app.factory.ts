import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyHelmet from '@fastify/helmet';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { REQUEST_ID_HEADER, requestIdFor } from './logging/request-id';
import type { AppConfig } from './config/app-config';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Builds the service on the configured HTTP adapter (not listening yet). Everything here holds on both
 * Fastify and Express: JSON errors without stack traces, 400 naming the offending field, 413 for bodies
 * over 1 MiB, helmet's security headers.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const module = AppModule.forRoot(config);
  const app = config.httpAdapter === 'express' ? await createExpressApp(module) : await createFastifyApp(module);
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false }));
  return app;
}

async function createFastifyApp(module: ReturnType<typeof AppModule.forRoot>): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: false,
    requestIdHeader: false,
    genReqId: requestIdFor,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  await app.register(fastifyHelmet);
  return app;
}

async function createExpressApp(module: ReturnType<typeof AppModule.forRoot>): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.use(helmet());
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES });
  app.disable('x-powered-by');
  return app;
}
