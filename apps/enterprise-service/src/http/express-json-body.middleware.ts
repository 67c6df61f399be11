import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_LIMIT_BYTES, BodyError, contentTypeError, parseJsonBody } from './json-body';

// The methods whose bodies Fastify parses; a body on GET, HEAD or TRACE is ignored on both adapters.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type BodyRequest = IncomingMessage & { body?: unknown };

/**
 * Express's request bodies, by the rules Fastify's parser follows in this service (see json-body.ts): JSON only
 * (415), UTF-8 only and well-formed (400), at most 1 MiB (413), each refusal answered here with a JSON body.
 */
export function expressJsonBody(): (request: BodyRequest, response: ServerResponse, next: () => void) => void {
  return (request, response, next) => {
    const headers = request.headers;
    const hasBody =
      headers['transfer-encoding'] !== undefined ||
      (headers['content-length'] !== undefined && headers['content-length'] !== '0');
    if (!hasBody || !BODY_METHODS.has(request.method!)) {
      next();
      return;
    }
    const refused = contentTypeError(headers['content-type']);
    if (refused) {
      refuse(request, response, refused);
      return;
    }
    if (Number(headers['content-length']) > BODY_LIMIT_BYTES) {
      refuse(request, response, tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        request.off('data', onData).off('end', onEnd);
        refuse(request, response, tooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    // Bound to the request's async context, so what `next` runs logs with the request's id.
    const onEnd = AsyncResource.bind((): void => {
      try {
        request.body = parseJsonBody(Buffer.concat(chunks, size).toString('utf8'));
      } catch (error) {
        refuse(request, response, error as BodyError);
        return;
      }
      next();
    });
    request.on('data', onData).on('end', onEnd);
  };
}

function tooLarge(): BodyError {
  return new BodyError(413, `request bodies are limited to ${BODY_LIMIT_BYTES} bytes`);
}

/** Answers now; the rest of a refused body is not read, so the connection closes after the answer. */
function refuse(request: IncomingMessage, response: ServerResponse, error: BodyError): void {
  if (!request.complete) response.setHeader('connection', 'close');
  response.writeHead(error.statusCode, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(error));
}
