import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HttpRequestMetrics, RouteSeries } from './http-request.metrics';

const kStart = Symbol('metrics.start');
const kUnmatched = Symbol('metrics.unmatched');

type ExpressRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string; [kUnmatched]?: true };
type Handler = (request: ExpressRequest, response: ServerResponse, next: (error?: unknown) => void) => unknown;
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
    if (request[kUnmatched]) return metrics.unmatched;
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

/**
 * Wraps the app's not-found handler so that the requests it answers are labelled unmatched. Needed because Nest
 * registers middleware applied `forRoutes('*')` as an Express route (`/{*path}`), which leaves `req.route` set
 * on requests that no controller route matched.
 */
export function markUnmatched(handler: Handler): Handler {
  return (request, response, next) => {
    request[kUnmatched] = true;
    return handler(request, response, next);
  };
}
