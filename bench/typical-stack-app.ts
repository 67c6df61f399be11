// The stack teams assemble without this toolkit, wired the way each package's README shows: nestjs-pino (pino-http
// access log, Nest's logger on pino), helmet (@fastify/helmet on Fastify), @willsoto/nestjs-prometheus with a RED
// interceptor (requests by method/route/status, errors, duration histogram) and @nestjs/terminus health checks;
// serving the same `GET /demo/ping`. The metrics bench loads it as the `typical` candidate.
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import {
  InjectMetric,
  makeCounterProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import fastifyHelmet from '@fastify/helmet';
import helmet from 'helmet';
import { Logger, LoggerModule } from 'nestjs-pino';
import type { Counter, Histogram } from 'prom-client';
import { type Observable, tap } from 'rxjs';

@Controller('demo')
class PingController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.memory.checkHeap('memory_heap', 512 * 1024 * 1024)]);
  }
}

/** Rate, errors, duration per method, route and status, as the usual blog-post interceptor records them. */
@Injectable()
class RedInterceptor implements NestInterceptor {
  constructor(
    @InjectMetric('http_requests_total') private readonly requests: Counter<string>,
    @InjectMetric('http_request_errors_total') private readonly errors: Counter<string>,
    @InjectMetric('http_request_duration_seconds') private readonly duration: Histogram<string>,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<{ method: string; routeOptions?: { url?: string }; route?: { path?: string } }>();
    const route = request.routeOptions?.url ?? request.route?.path ?? 'unknown';
    const end = this.duration.startTimer({ method: request.method, route });
    return next.handle().pipe(
      tap({
        next: () => {
          const status = String(http.getResponse<{ statusCode: number }>().statusCode);
          this.requests.inc({ method: request.method, route, status_code: status });
          end({ status_code: status });
        },
        error: () => {
          this.requests.inc({ method: request.method, route, status_code: '500' });
          this.errors.inc({ method: request.method, route });
          end({ status_code: '500' });
        },
      }),
    );
  }
}

@Module({
  imports: [
    LoggerModule.forRoot({ pinoHttp: { level: process.env.BENCH_LOG_LEVEL ?? 'info' } }),
    PrometheusModule.register(),
    TerminusModule,
  ],
  controllers: [PingController, HealthController],
  providers: [
    makeCounterProvider({
      name: 'http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'route', 'status_code'],
    }),
    makeCounterProvider({ name: 'http_request_errors_total', help: 'HTTP errors', labelNames: ['method', 'route'] }),
    makeHistogramProvider({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status_code'],
    }),
    { provide: APP_INTERCEPTOR, useClass: RedInterceptor },
  ],
})
class TypicalModule {}

export async function startTypicalApp(adapter: 'express' | 'fastify'): Promise<number> {
  let app: NestFastifyApplication | NestExpressApplication;
  if (adapter === 'fastify') {
    app = await NestFactory.create<NestFastifyApplication>(TypicalModule, new FastifyAdapter(), { bufferLogs: true });
    await app.register(fastifyHelmet);
  } else {
    app = await NestFactory.create<NestExpressApplication>(TypicalModule, new ExpressAdapter(), { bufferLogs: true });
    app.use(helmet());
  }
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer() as { address(): { port: number } }).address().port;
}
