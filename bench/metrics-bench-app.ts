// The apps the metrics bench loads: `GET /demo/ping` on a bare Nest app, and the same with MetricsModule.
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { MetricsModule } from '@nestjs-reliability/metrics';

@Controller('demo')
class PingController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }
}

@Module({})
class BenchModule {
  static with(metrics: boolean): DynamicModule {
    return {
      module: BenchModule,
      imports: metrics ? [MetricsModule.forRoot({ prefix: 'bench_' })] : [],
      controllers: [PingController],
    };
  }
}

export async function startBenchApp(adapter: 'express' | 'fastify', metrics: boolean): Promise<number> {
  const app = await NestFactory.create(
    BenchModule.with(metrics),
    adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer() as { address(): { port: number } }).address().port;
}
