import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Node's own request timeouts, enforced by the server's connection check, not by a timer per request: a request
 * whose headers and body have not all arrived within `timeoutMs` is answered 408 and its connection closed. The
 * check runs every `timeoutMs / 4` (at most every second), so a request is cut within 1.25 × `timeoutMs`.
 * Call before `listen` (the check interval is read when the server starts listening).
 */
export function applyRequestTimeouts(server: Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = timeoutMs;
  // A creation option of `http.Server`, not in its types, but read from the instance when it starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    25,
    Math.min(1_000, Math.floor(timeoutMs / 4)),
  );
}

const ANSWERS: Record<string, readonly [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
};
const BAD_REQUEST = [400, 'Bad Request'] as const;

type ClientErrorHandler = (error: NodeJS.ErrnoException, socket: Socket) => void;

/**
 * The `clientError` listener of both adapters (Fastify's `clientErrorHandler`, Express's server listener): what
 * Node's HTTP parser refuses before any route runs (a timeout, malformed HTTP, headers too large) is answered with a
 * JSON body and `Connection: close`, like every other error of this service, and a timeout is counted.
 */
export function clientErrorHandler(onTimeout: () => void): ClientErrorHandler {
  return (error, socket) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') onTimeout();
    const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    const [statusCode, text] = ANSWERS[error.code ?? ''] ?? BAD_REQUEST;
    const body = JSON.stringify({ statusCode, error: text, message: text });
    // Destroyed once the answer is written: the server's sockets are half-open, and the client may never close.
    socket.end(
      `HTTP/1.1 ${statusCode} ${text}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  };
}
