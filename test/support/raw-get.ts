import { type Agent, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  /** The `Connection` response header: `keep-alive` or `close`. */
  connection: string | undefined;
  body: string;
  /** The client socket, to watch the server close it. */
  socket: Socket;
}

/**
 * GET over node:http, exposing what fetch hides: the `Connection` header and the socket. `agent: false` opens a
 * fresh connection; a keep-alive `Agent` reuses one. Rejects with the socket error (ECONNREFUSED, ECONNRESET...).
 * `onSent` runs once the request is completely written to the socket.
 */
export function rawGet(
  port: number,
  path: string,
  agent: Agent | false = false,
  onSent?: () => void,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path, agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, connection: res.headers.connection, body, socket: req.socket! }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (onSent) req.once('finish', onSent);
    req.end();
  });
}
