import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamReply = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

/** A real HTTP directory API whose answers a test scripts, and which records every request it receives. */
export class FakeUpstream {
  /** Keys requested, in order. */
  readonly requests: string[] = [];
  /** Request paths exactly as received. */
  readonly paths: string[] = [];
  /** Requests whose client went away before an answer (aborted by a timeout). */
  abandoned = 0;
  private reply: (key: string) => UpstreamReply = (key) => ({ status: 200, body: { key } });
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeUpstream> {
    const server = createServer();
    const upstream = new FakeUpstream(server);
    server.on('request', (req, res) => upstream.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How to answer from now on. */
  answer(reply: (key: string) => UpstreamReply): void {
    this.reply = reply;
  }

  /** Answers the next `n` requests with `first`, then with `then`. */
  answerFirst(n: number, first: UpstreamReply, then: UpstreamReply): void {
    let left = n;
    this.answer(() => (left-- > 0 ? first : then));
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.paths.push(req.url ?? '');
    const key = decodeURIComponent(/\/directory\/(.*)$/.exec(req.url ?? '')?.[1] ?? '');
    this.requests.push(key);
    const reply = this.reply(key);
    if (reply === 'hang') {
      this.hanging.add(res);
      res.on('close', () => {
        this.hanging.delete(res);
        this.abandoned++;
      });
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body ?? { error: `status ${reply.status}` }));
  }
}
