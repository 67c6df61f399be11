// The apps the metrics bench loads: `GET /demo/ping` on a bare Nest app, plus any of the reference service's
// per-request components, one at a time or together, to see where the time of the whole service goes.
import { Controller, Get, Module, ValidationPipe, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyHelmet from '@fastify/helmet';
import helmet from 'helmet';
import pino from 'pino';
import { HealthModule } from '@nestjs-reliability/health';
import { MetricsModule } from '@nestjs-reliability/metrics';
import { ResilienceModule } from '@nestjs-reliability/resilience';
import { ShutdownModule, ShutdownService } from '@nestjs-reliability/shutdown';
import { TsidModule } from '@nestjs-reliability/tsid';
import { loadConfig } from '../apps/enterprise-service/src/config/app-config';
import { expressRequestMiddleware } from '../apps/enterprise-service/src/http/express-request.middleware';
import { installFastifyRequestHooks } from '../apps/enterprise-service/src/http/fastify-request.hooks';
import { apiSecurityHeaders } from '../apps/enterprise-service/src/http/security-headers';
import { AccessLog } from '../apps/enterprise-service/src/logging/access-log';
import { PinoNestLogger } from '../apps/enterprise-service/src/logging/pino-nest.logger';
import { REQUEST_ID_HEADER, requestIdFor } from '../apps/enterprise-service/src/logging/request-id';
import { createRootLogger } from '../apps/enterprise-service/src/logging/root-logger';
import { TurnBufferedDestination } from '../apps/enterprise-service/src/logging/turn-buffered.destination';

/**
 * - `hooks`: the service's request hook (Fastify) or first middleware (Express): the API security headers, `x-request-id`,
 *   the request's log context, the access log at `BENCH_LOG_LEVEL` (default info), and Nest's logger on pino.
 * - `headers`: the API security headers alone, set from a hook or middleware of their own.
 * - `helmet`: the helmet libraries themselves (@fastify/helmet, helmet), for comparison.
 * - `metrics`, `tracker` (ShutdownService's connection tracker), `validation` (the global ValidationPipe).
 * - `reliability`: this toolkit's whole stack as a user wires it: metrics, shutdown (tracker attached), health,
 *   resilience and TSID (a static node ID; issuing is not on this route).
 */
export const COMPONENTS = ['metrics', 'helmet', 'headers', 'hooks', 'tracker', 'validation', 'reliability'] as const;
export type Component = (typeof COMPONENTS)[number];

@Controller('demo')
class PingController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }
}

@Module({})
class BenchModule {
  static with(components: ReadonlySet<Component>): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        ...(components.has('metrics') ? [MetricsModule.forRoot({ prefix: 'bench_' })] : []),
        ...(components.has('tracker') ? [ShutdownModule.forRoot({ drainDelayMs: 0, timeoutMs: 1000 })] : []),
        ...(components.has('reliability')
          ? [
              MetricsModule.forRoot({ prefix: 'bench_' }),
              ShutdownModule.forRoot({ drainDelayMs: 0, timeoutMs: 1000 }),
              HealthModule.forRoot({ service: 'bench', version: '0', include: ['memory'] }),
              ResilienceModule.forRoot({}),
              TsidModule.forRoot({ nodeId: 1 }),
            ]
          : []),
      ],
      controllers: [PingController],
    };
  }
}

/** `variant`: `bare`, or components joined by `+` (e.g. `helmet+logging`). */
export async function startBenchApp(adapter: 'express' | 'fastify', variant: string): Promise<number> {
  const components = new Set(variant === 'bare' ? [] : (variant.split('+') as Component[]));
  for (const component of components) {
    if (!COMPONENTS.includes(component)) throw new Error(`unknown component "${component}" in "${variant}"`);
  }
  const module = BenchModule.with(components);
  const hooks = components.has('hooks');
  // As the service logs once it serves: stdout, one synchronous write per event-loop turn.
  const destination = new TurnBufferedDestination(pino.destination({ dest: 1, sync: true }));
  destination.bufferTurns();
  const rootLogger = createRootLogger(loadConfig({ LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' }), destination);
  const options = { logger: hooks ? new PinoNestLogger(rootLogger) : (false as const) };
  let app: NestFastifyApplication | NestExpressApplication;
  if (adapter === 'fastify') {
    const fastifyAdapter = new FastifyAdapter(
      hooks
        ? {
            requestIdHeader: false,
            genReqId: (request: IncomingMessage) => requestIdFor(request.headers[REQUEST_ID_HEADER]),
          }
        : {},
    );
    app = await NestFactory.create<NestFastifyApplication>(module, fastifyAdapter, options);
    if (hooks)
      installFastifyRequestHooks(fastifyAdapter.getInstance(), apiSecurityHeaders(), new AccessLog(rootLogger));
    if (components.has('helmet')) await app.register(fastifyHelmet);
    if (components.has('headers')) {
      const headers = Object.fromEntries(apiSecurityHeaders());
      fastifyAdapter.getInstance().addHook('onRequest', (_request, reply, done) => {
        void reply.headers(headers);
        done();
      });
    }
  } else {
    app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), options);
    if (hooks) app.use(expressRequestMiddleware(apiSecurityHeaders(), new AccessLog(rootLogger)));
    if (components.has('helmet')) app.use(helmet());
    if (components.has('headers')) {
      const headers = apiSecurityHeaders();
      app.use((_request: IncomingMessage, response: ServerResponse, next: () => void) => {
        for (const [name, value] of headers) response.setHeader(name, value);
        next();
      });
    }
  }
  if (components.has('validation')) {
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  }
  if (components.has('tracker') || components.has('reliability')) app.get(ShutdownService).attach(app);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer() as { address(): { port: number } }).address().port;
}
