import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AccessLog } from '../logging/access-log';
import { requestContext } from '../logging/request-context';
import { REQUEST_ID_HEADER } from '../logging/request-id';
import type { SecurityHeaders } from './security-headers';

/**
 * The service's per-request work on Fastify, in one `onRequest` hook (before any other, so it covers 404s and
 * requests that fail later): security headers, `x-request-id` (Fastify's `genReqId` chose it, see app.factory.ts),
 * and the request's log context; plus an `onResponse` hook for the access log when its level is on.
 */
export function installFastifyRequestHooks(
  fastify: FastifyInstance,
  headers: SecurityHeaders,
  accessLog: AccessLog,
): void {
  const headerObject = Object.fromEntries(headers);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    void reply.headers(headerObject).header(REQUEST_ID_HEADER, request.id);
    requestContext.run({ reqId: request.id }, done);
  });
  if (!accessLog.enabled) return;
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    accessLog.requestCompleted(request.id, request.method, request.url, reply.statusCode, reply.elapsedTime);
    done();
  });
}
