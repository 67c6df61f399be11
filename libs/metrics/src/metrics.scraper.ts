import { createHash, timingSafeEqual } from 'node:crypto';
import { register as globalRegistry, type Registry } from 'prom-client';

export interface ScrapeResult {
  readonly status: 200 | 401;
  readonly contentType: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

const UNAUTHORIZED: ScrapeResult = {
  status: 401,
  contentType: 'text/plain; charset=utf-8',
  body: 'A bearer token is required to read metrics.\n',
  headers: { 'www-authenticate': 'Bearer realm="metrics"' },
};

/**
 * Renders the app's registry (and, optionally, prom-client's global one) for a scrape, after checking the bearer
 * token when one is configured. Framework-free: the adapters only copy the result onto their response.
 */
export class MetricsScraper {
  private readonly expected: Buffer | undefined;

  constructor(
    private readonly registry: Registry,
    token: string | undefined,
    private readonly includeGlobalRegistry: boolean,
  ) {
    this.expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  }

  async scrape(authorization: string | string[] | undefined): Promise<ScrapeResult> {
    if (!this.authorized(authorization)) return UNAUTHORIZED;
    return { status: 200, contentType: this.registry.contentType, body: await this.render(), headers: {} };
  }

  private authorized(authorization: string | string[] | undefined): boolean {
    if (this.expected === undefined) return true;
    if (typeof authorization !== 'string') return false;
    // Compare digests: constant time, whatever the length of what was sent.
    return timingSafeEqual(digest(authorization), this.expected);
  }

  private async render(): Promise<string> {
    const own = await this.registry.metrics();
    if (!this.includeGlobalRegistry || this.registry === globalRegistry) return own;
    const names = new Set(this.registry.getMetricsAsArray().map((metric) => metric.name));
    const extra = globalRegistry.getMetricsAsArray().filter((metric) => !names.has(metric.name));
    if (extra.length === 0) return own;
    const rendered = await Promise.all(extra.map((metric) => globalRegistry.getSingleMetricAsString(metric.name)));
    return `${own}\n${rendered.join('\n\n')}\n`;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
