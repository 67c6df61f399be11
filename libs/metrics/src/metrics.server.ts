import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsScraper, ScrapeResult } from './metrics.scraper';

/** Writes a scrape result on a plain Node response. */
export function sendScrape(response: ServerResponse, result: ScrapeResult): void {
  response.writeHead(result.status, { ...result.headers, 'content-type': result.contentType });
  response.end(result.body);
}

/**
 * A listener of its own that serves only the metrics path, so metrics can stay off the public ingress.
 * Every other path answers 404; only GET and HEAD are allowed on the metrics path.
 */
export class MetricsServer {
  private readonly server: Server;

  constructor(
    private readonly scraper: MetricsScraper,
    private readonly path: string,
  ) {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.keepAliveTimeout = 65_000;
  }

  get port(): number | undefined {
    return (this.server.address() as AddressInfo | null)?.port;
  }

  listen(port: number, host: string | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // A scraper's keep-alive connection must not hold shutdown open.
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const queryAt = request.url?.indexOf('?') ?? -1;
    const path = queryAt === -1 ? request.url : request.url?.slice(0, queryAt);
    if (path !== this.path) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"message":"Not Found"}');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      sendScrape(response, await this.scraper.scrape(request.headers.authorization));
    } catch {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Collecting metrics failed.\n');
    }
  }
}
