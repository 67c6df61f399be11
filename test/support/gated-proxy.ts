import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port';

/**
 * A TCP proxy to `127.0.0.1:targetPort` that accepts connections at once but forwards nothing until `open()`.
 * A process can then boot completely against it, and its first use of the target (e.g. leasing a TSID node ID in
 * Redis) happens exactly when the test opens the gate, not after a start-up of unknown length.
 */
export class GatedProxy {
  private gateOpen = false;
  private readonly held: Array<{ socket: Socket; buffered: Buffer[] }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly forwarded: Buffer[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<GatedProxy> {
    const port = await freePort();
    const server = createServer();
    const proxy = new GatedProxy(server, port, targetPort);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections accepted and waiting for the gate. */
  get waiting(): number {
    return this.held.length;
  }

  /** What clients sent through the gate so far, every connection's bytes in arrival order (latin1). */
  sent(): string {
    return Buffer.concat(this.forwarded).toString('latin1');
  }

  /** Forwards every held connection, with the bytes it already sent, and every later one. */
  open(): void {
    this.gateOpen = true;
    for (const { socket, buffered } of this.held.splice(0)) this.forward(socket, buffered);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(socket: Socket): void {
    this.track(socket);
    if (this.gateOpen) return this.forward(socket, []);
    const entry = { socket, buffered: [] as Buffer[] };
    socket.on('data', (chunk: Buffer) => entry.buffered.push(chunk));
    socket.once('close', () => {
      const index = this.held.indexOf(entry);
      if (index >= 0) this.held.splice(index, 1);
    });
    this.held.push(entry);
  }

  private forward(socket: Socket, buffered: Buffer[]): void {
    socket.removeAllListeners('data');
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.track(upstream);
    for (const chunk of buffered) upstream.write(chunk);
    this.forwarded.push(...buffered);
    socket.on('data', (chunk: Buffer) => this.forwarded.push(chunk));
    socket.pipe(upstream).pipe(socket);
    const closeBoth = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.once('close', closeBoth);
    upstream.once('close', closeBoth);
    socket.on('error', closeBoth);
    upstream.on('error', closeBoth);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }
}
