import type { Server } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Express, NextFunction, Request, Response } from 'express';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { markUnmatched, recordExpressRequests } from './express-request.recorder';
import { recordFastifyRequests } from './fastify-request.recorder';
import { HttpRequestMetrics } from './http-request.metrics';
import type { ResolvedMetricsOptions } from './metrics-options.resolver';
import { RESOLVED_METRICS_OPTIONS } from './metrics-internal.tokens';
import { MetricsScraper } from './metrics.scraper';
import { sendScrape } from './metrics.server';

/**
 * Hooks request recording and the metrics route into the HTTP adapter itself, below Nest's pipeline: no
 * interceptor on the hot path, and a metrics route that the app's global guards, pipes and prefix never see.
 * Runs from `MetricsModule.configure`, i.e. during `app.init()` before Nest registers its routes.
 */
@Injectable()
export class HttpMetricsInstaller {
  private readonly logger = new Logger('Metrics');
  private installed = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RESOLVED_METRICS_OPTIONS) private readonly options: ResolvedMetricsOptions,
    private readonly metrics: HttpRequestMetrics,
    private readonly scraper: MetricsScraper,
  ) {}

  install(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (this.installed || !adapter) return;
    this.installed = true;
    const serveHere = this.options.endpoint && this.options.port === undefined;
    const type = adapter.getType();
    if (type === 'fastify') {
      const fastify = adapter.getInstance<FastifyInstance>();
      if (serveHere) this.serveOnFastify(fastify);
      if (this.options.httpMetrics) recordFastifyRequests(fastify, this.metrics);
    } else if (type === 'express') {
      if (serveHere) this.serveOnExpress(adapter.getInstance<Express>());
      if (this.options.httpMetrics) {
        const metricsPath = serveHere ? this.options.path : undefined;
        recordExpressRequests(adapter.getHttpServer() as Server, this.metrics, metricsPath);
        // Nest registers its not-found handler later in `app.init()`; this instance's method is wrapped first.
        const setNotFoundHandler = adapter.setNotFoundHandler.bind(adapter);
        adapter.setNotFoundHandler = (handler: Parameters<typeof markUnmatched>[0], prefix?: string): void => {
          setNotFoundHandler(markUnmatched(handler), prefix);
        };
      }
    } else {
      this.logger.warn(
        `HTTP adapter "${type}" is not supported: no request metrics, and no ${this.options.path} route.`,
      );
    }
  }

  private serveOnFastify(fastify: FastifyInstance): void {
    fastify.get(this.options.path, async (request: FastifyRequest, reply: FastifyReply) => {
      const result = await this.scraper.scrape(request.headers.authorization);
      return reply.code(result.status).headers(result.headers).type(result.contentType).send(result.body);
    });
  }

  private serveOnExpress(express: Express): void {
    express.get(this.options.path, (request: Request, response: Response, next: NextFunction) => {
      this.scraper.scrape(request.headers.authorization).then((result) => sendScrape(response, result), next);
    });
  }
}
