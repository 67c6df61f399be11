import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import { type Counter, register as globalRegistry } from 'prom-client';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';
import { FastifyAdapter } from '@nestjs/platform-fastify';

@Injectable()
class LegacyJobs {
  constructor(@InjectMetric('legacy_jobs_total') readonly done: Counter<string>) {}
}

@Module({
  imports: [MetricsModule.forRoot({ prefix: 'app_' })],
  providers: [
    makeCounterProvider({ name: 'legacy_jobs_total', help: 'Jobs done (nestjs-prometheus provider).' }),
    LegacyJobs,
  ],
})
class AppModule {}

async function startApp() {
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('registries', () => {
  afterAll(() => globalRegistry.clear());

  it('builds two apps in one process with their own registries and no "already registered" error', async () => {
    const first = await startApp();
    const second = await startApp();
    try {
      first.get(MetricsService).counter({ name: 'orders_total', help: 'Orders.' }).inc(2);
      second.get(MetricsService).counter({ name: 'orders_total', help: 'Orders.' }).inc(5);
      expect(await first.get(MetricsService).registry.getSingleMetricAsString('app_orders_total')).toContain(
        'app_orders_total 2',
      );
      expect(await second.get(MetricsService).registry.getSingleMetricAsString('app_orders_total')).toContain(
        'app_orders_total 5',
      );
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("serves metrics that @willsoto/nestjs-prometheus providers put in prom-client's global registry", async () => {
    const app = await startApp();
    try {
      app.get(LegacyJobs).done.inc(3);
      const text = await (await fetch(`${await app.getUrl()}/metrics`)).text();
      expect(text).toContain('# TYPE legacy_jobs_total counter\nlegacy_jobs_total 3');
      expect(text).toContain('# TYPE app_http_requests_total counter');
      expect(text.match(/# TYPE process_cpu_user_seconds_total/g)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
