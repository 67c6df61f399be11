import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedHealthOptions } from './health.options';
import { HealthService, type ProbeAnswer } from './health.service';
import { RESOLVED_HEALTH_OPTIONS } from './health.tokens';

/**
 * Mounts the probes directly on the HTTP adapter (Express or Fastify) rather than as a controller: the path comes
 * from runtime options, a probe skips guards, interceptors and the global prefix (kubelet must reach it without
 * credentials), and a probe storm costs no Nest pipeline per request.
 */
@Injectable()
export class HealthProbeRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly health: HealthService,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
  ) {}

  // Runs after Nest registered its routes and before its not-found handler, on both adapters.
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return; // an application context without HTTP
    const send = (response: unknown, answer: ProbeAnswer) => {
      adapter.setHeader(response, 'Cache-Control', 'no-store');
      adapter.reply(response, answer.body, answer.statusCode);
    };
    const base = `/${this.options.path}`;
    adapter.get(`${base}/liveness`, (_request: unknown, response: unknown) => send(response, this.health.liveness()));
    adapter.get(`${base}/startup`, (_request: unknown, response: unknown) => send(response, this.health.startup()));
    adapter.get(`${base}/readiness`, (_request: unknown, response: unknown) => {
      const answer = this.health.readiness();
      if (answer instanceof Promise) void answer.then((ready) => send(response, ready));
      else send(response, answer);
    });
  }
}
