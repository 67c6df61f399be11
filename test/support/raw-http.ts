import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** False when the connection ended before `content-length` bytes of body arrived. */
  complete: boolean;
}

/** Opens a TCP connection to the service, for bytes no HTTP client would send. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Everything the server sends on `socket` until it closes the connection (a reset counts as a close). */
export function readUntilClosed(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * Sends `request` as written (malformed or incomplete if it is) and resolves with what came back once the server
 * closed the connection; rejects when it has not within `limitMs`.
 */
export async function rawExchange(port: number, request: string | Buffer, limitMs: number): Promise<Buffer> {
  const socket = await openSocket(port);
  const received = readUntilClosed(socket);
  socket.write(request);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`the server neither answered nor closed within ${limitMs} ms: ${String(request).slice(0, 200)}`),
      );
    }, limitMs);
  });
  try {
    return await Promise.race([received, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Splits HTTP/1.1 responses (with `content-length` bodies, as the service sends) out of a byte stream. */
export function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) {
      responses.push({ status: 0, headers: {}, body: data.subarray(at).toString('latin1'), complete: false });
      break;
    }
    const [statusLine, ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    const body = data.subarray(bodyStart, bodyStart + length);
    responses.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: body.toString('utf8'),
      complete: body.length === length,
    });
    at = bodyStart + length;
  }
  return responses;
}
