import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IN_FLIGHT_REQUESTS } from '@nestjs-reliability/common';
import { MetricsModule, MetricsService } from '@nestjs-reliability/metrics';

/** Stands in for the shutdown package: the in-flight count it acts on at shutdown. */
@Global()
@Module({ providers: [{ provide: IN_FLIGHT_REQUESTS, useValue: { inFlight: 7 } }], exports: [IN_FLIGHT_REQUESTS] })
class ShutdownCountModule {}

describe('http_requests_in_flight', () => {
  it('reports the count graceful shutdown acts on when the app has it, so the two never disagree', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ShutdownCountModule, MetricsModule.forRoot({ prefix: 'app_' })],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const text = await app.get(MetricsService).registry.getSingleMetricAsString('app_http_requests_in_flight');
      expect(text).toMatch(/^app_http_requests_in_flight 7$/m);
    } finally {
      await app.close();
    }
  });
});
