import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AccessLog } from '../logging/access-log';
import { requestContext, type RequestScope } from '../logging/request-context';
import { REQUEST_ID_HEADER, requestIdFor } from '../logging/request-id';
import type { SecurityHeaders } from './security-headers';

const kScope = Symbol('request.scope');

interface TimedScope extends RequestScope {
  readonly url: string;
  readonly start: number;
}

type ScopedResponse = ServerResponse & { [kScope]?: TimedScope };

/**
 * The service's per-request work on Express, as the first middleware (so it covers 404s, body parser errors and
 * everything after): security headers, `x-request-id`, the request's log context, and the access log from the
 * response's `finish` when its level is on. `raw-body` keeps the context across the body's stream callbacks.
 */
export function expressRequestMiddleware(
  headers: SecurityHeaders,
  accessLog: AccessLog,
): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  function onFinish(this: ScopedResponse): void {
    const scope = this[kScope]!;
    accessLog.requestCompleted(
      scope.reqId,
      this.req.method,
      scope.url,
      this.statusCode,
      performance.now() - scope.start,
    );
  }

  const logAccess = accessLog.enabled;
  return (request, response: ScopedResponse, next) => {
    const reqId = requestIdFor(request.headers[REQUEST_ID_HEADER]);
    for (const [name, value] of headers) response.setHeader(name, value);
    response.setHeader(REQUEST_ID_HEADER, reqId);
    if (logAccess) {
      const scope: TimedScope = { reqId, url: request.url ?? '', start: performance.now() };
      response[kScope] = scope;
      response.on('finish', onFinish);
      requestContext.run(scope, next);
    } else {
      requestContext.run({ reqId }, next);
    }
  };
}
