import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HttpRequestMetrics, RouteSeries } from './http-request.metrics';

const kStart = Symbol('metrics.start');

type ExpressRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
type TrackedResponse = ServerResponse<ExpressRequest> & { [kStart]: number };

/**
 * Records every request an Express app receives. The clock starts in a `request` listener placed before Express
 * itself, so body parsing and middleware that fail (a malformed JSON body, helmet, a CORS rejection) are counted
 * too; the route is read when the response closes, from the route Express matched (`req.baseUrl + req.route.path`).
 * Requests to `metricsPath`, when given, are left out.
 */
export function recordExpressRequests(server: Server, metrics: HttpRequestMetrics, metricsPath?: string): void {
  const scrapePrefix = `${metricsPath}?`;

  function routeOf(request: ExpressRequest): RouteSeries {
    const path = request.route?.path;
    if (typeof path !== 'string') return metrics.unmatched;
    const base = request.baseUrl;
    return metrics.route(base ? base + path : path);
  }

  function onClose(this: TrackedResponse): void {
    const route = routeOf(this.req);
    if (this.writableFinished) {
      metrics.requestFinished(route, this.req.method, this.statusCode, (performance.now() - this[kStart]) / 1000);
    } else {
      metrics.requestAbandoned(route);
    }
  }

  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    // The app's own metrics route is neither recorded nor in flight (on Fastify its route is known this early).
    const url = request.url;
    if (url === metricsPath || (url !== undefined && url.startsWith(scrapePrefix))) return;
    (response as TrackedResponse)[kStart] = performance.now();
    metrics.requestStarted();
    response.on('close', onClose);
  });
}
