import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { HttpRequestMetrics, RouteSeries } from './http-request.metrics';

const kRoute = Symbol('metrics.route');
const kStart = Symbol('metrics.start');

type TrackedResponse = ServerResponse & { [kRoute]: RouteSeries; [kStart]: number };

/**
 * Records every request Fastify routes, the 404s of its not-found handler included, from an `onRequest` hook and
 * the raw response's `close` event (which, unlike `onResponse`, also fires when the client goes away first).
 * The route label is Fastify's matched URL template, which carries Nest's global prefix and controller path.
 */
export function recordFastifyRequests(fastify: FastifyInstance, metrics: HttpRequestMetrics): void {
  function onClose(this: TrackedResponse): void {
    if (this.writableFinished) {
      metrics.requestFinished(
        this[kRoute],
        this.req.method,
        this.statusCode,
        (performance.now() - this[kStart]) / 1000,
      );
    } else {
      metrics.requestAbandoned(this[kRoute]);
    }
  }

  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const route = request.is404 ? metrics.unmatched : metrics.route(request.routeOptions.url ?? '');
    if (!route.excluded) {
      const response = reply.raw as TrackedResponse;
      response[kRoute] = route;
      response[kStart] = performance.now();
      metrics.requestStarted();
      response.on('close', onClose);
    }
    done();
  });
}
