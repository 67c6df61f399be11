import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/** Requests received on a socket whose responses have not closed yet. */
const kActive = Symbol('nestjs-reliability.activeRequests');
/** The latest response on a socket, to mark it `Connection: close` when the listener closes. */
const kResponse = Symbol('nestjs-reliability.response');
/** Set once a socket has carried a request: only then is an idle socket a keep-alive connection between requests. */
const kServed = Symbol('nestjs-reliability.served');

interface TrackedSocket extends Socket {
  [kActive]?: number;
  [kResponse]?: ServerResponse | undefined;
  [kServed]?: boolean;
}

/** What `closeListener()` did, for the log line. */
export interface ListenerCloseReport {
  /** Idle keep-alive connections closed at once. */
  idleClosed: number;
  /** Connections still answering a request; they close after their response. */
  busy: number;
  /** Requests in flight. */
  inFlight: number;
}

/** A response closed before it was completely written. */
const undelivered = (res: ServerResponse): boolean => !res.writableFinished;

/**
 * Counts in-flight requests and open connections of a Node `http.Server` (what Express and Fastify both run on),
 * from the server's own `request` event to the response's `close`: requests that a guard, a pipe or a 404
 * rejects count too, which an interceptor would miss.
 *
 * Per request it costs two counter updates, one property write and one listener shared by all responses.
 */
export class ConnectionTracker {
  private readonly sockets = new Set<TrackedSocket>();
  private inFlightCount = 0;
  private undeliveredCount = 0;
  /** Set when shutdown begins: every response from then on says `Connection: close`. */
  private draining = false;
  /** Set when the listener closes: sockets close as soon as they are idle. */
  private closed = false;
  private whenIdle: (() => void) | undefined;
  private readonly connectionEvent: 'connection' | 'secureConnection';

  private readonly onConnection = (socket: TrackedSocket): void => {
    this.track(socket);
  };

  private readonly onSocketClose: (this: TrackedSocket) => void;

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as TrackedSocket;
    this.inFlightCount++;
    // A connection accepted before the tracker was attached is adopted on its first request.
    socket[kActive] = (socket[kActive] ?? this.track(socket)) + 1;
    socket[kResponse] = res;
    socket[kServed] = true;
    if (this.draining) res.setHeader('Connection', 'close');
    res.on('close', this.onResponseClose);
  };

  private readonly onResponseClose: (this: ServerResponse) => void;

  constructor(private readonly server: Server) {
    // Over TLS, `request` sees the TLS socket, which `secureConnection` announces (`connection` gives the raw one).
    this.connectionEvent = server instanceof TlsServer ? 'secureConnection' : 'connection';
    // Listener functions are created once here, not per request; they read the socket or response from `this`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tracker = this;
    this.onSocketClose = function (this: TrackedSocket) {
      tracker.sockets.delete(this);
    };
    this.onResponseClose = function (this: ServerResponse) {
      tracker.responseClosed(this);
    };
    server.on(this.connectionEvent, this.onConnection);
    // Prepended so the count starts before the framework's handler runs (it may answer synchronously).
    server.prependListener('request', this.onRequest);
  }

  /** Requests received whose responses have not finished or been aborted. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * Responses that closed unfinished after the listener closed (their connection was cut, by `destroyAll` or by
   * the client): requests that were accepted and never answered.
   */
  get undelivered(): number {
    return this.undeliveredCount;
  }

  /** Open connections, idle or busy. */
  get connections(): number {
    return this.sockets.size;
  }

  /** From now on every response carries `Connection: close`, so keep-alive clients move to other instances. */
  startDraining(): void {
    this.draining = true;
  }

  /**
   * Stops accepting connections, closes idle keep-alive connections at once, and makes the responses still
   * being written close their connection when done.
   */
  closeListener(): ListenerCloseReport {
    this.draining = true;
    this.closed = true;
    // net's close, not http's: http's also destroys every connection it deems idle, including one whose last
    // response is written but still flushing to a slow reader, with pipelined requests queued behind it. Idle
    // connections are closed below, by the count of responses still open on each.
    // The callback receives ERR_SERVER_NOT_RUNNING when the server never listened or is already closed: fine.
    NetServer.prototype.close.call(this.server, () => undefined);
    let idleClosed = 0;
    let busy = 0;
    for (const socket of this.sockets) {
      if (!socket[kActive]) {
        // A connection accepted just before the close (common behind a cluster primary, which hands connections over
        // until the listener closes) has its first request on the way: it is answered, with Connection: close.
        if (!socket[kServed]) continue;
        socket.destroy();
        idleClosed++;
      } else {
        busy++;
        const response = socket[kResponse];
        if (response && !response.headersSent) response.setHeader('Connection', 'close');
      }
    }
    return { idleClosed, busy, inFlight: this.inFlightCount };
  }

  /** Resolves true once no request is in flight, or false when `timeoutMs` passes first. */
  waitForInFlight(timeoutMs: number): Promise<boolean> {
    if (this.inFlightCount === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      // Deliberately not unref'd: the sequence must finish even if nothing else keeps the process alive.
      const timer = setTimeout(() => {
        this.whenIdle = undefined;
        resolve(false);
      }, timeoutMs);
      this.whenIdle = () => {
        clearTimeout(timer);
        this.whenIdle = undefined;
        resolve(true);
      };
    });
  }

  /** Destroys every open connection, cutting what is still in flight; returns how many were open. */
  destroyAll(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return count;
  }

  /** Removes the tracker's listeners from the server. */
  detach(): void {
    this.server.off(this.connectionEvent, this.onConnection);
    this.server.off('request', this.onRequest);
    for (const socket of this.sockets) socket.off('close', this.onSocketClose);
    this.sockets.clear();
  }

  private track(socket: TrackedSocket): number {
    socket[kActive] = 0;
    this.sockets.add(socket);
    socket.on('close', this.onSocketClose);
    return 0;
  }

  private responseClosed(res: ServerResponse): void {
    this.inFlightCount--;
    const socket = res.req.socket as TrackedSocket;
    const active = (socket[kActive] ?? 1) - 1;
    socket[kActive] = active;
    if (socket[kResponse] === res) socket[kResponse] = undefined;
    if (this.closed) {
      if (undelivered(res)) this.undeliveredCount++;
      // A response whose headers went out before the listener closed may have promised keep-alive: end the
      // connection once idle. Not at once: a pipelined request the server had paused reading (its client reads
      // slowly) is parsed when the last response drains, and must be answered too.
      if (active === 0) setImmediate(endIfIdle, socket);
    }
    // Idle only if still idle once pending reads are parsed (see above).
    if (this.inFlightCount === 0 && this.whenIdle) setImmediate(this.checkIdle);
  }

  private readonly checkIdle = (): void => {
    if (this.inFlightCount === 0) this.whenIdle?.();
  };
}

function endIfIdle(socket: TrackedSocket): void {
  if (!socket[kActive]) socket.end();
}
