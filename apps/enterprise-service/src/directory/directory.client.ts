import {
  BadGatewayException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  CallTimeout,
  CircuitBreaker,
  currentAbortSignal,
  Fallback,
  isClientError,
  Retry,
} from '@nestjs-reliability/resilience';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UPSTREAM } from './directory.policies';
import { LastGoodCache } from './last-good.cache';
import { UpstreamHttpError } from './upstream-http.error';

export interface DirectoryAnswer {
  body: unknown;
  fromCache: boolean;
}

/**
 * `GET {UPSTREAM_URL}/directory/:key` through the `upstream` policy. When the call fails after its retries or the
 * circuit is open, the last good answer for the key; an upstream 4xx is passed on, never retried, never a failure.
 */
@Injectable()
export class DirectoryClient {
  private readonly baseUrl: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly lastGood: LastGoodCache,
  ) {
    this.baseUrl = config.upstream.url;
  }

  @Fallback('fromLastGood', { on: (error) => !isClientError(error) })
  @Retry(UPSTREAM)
  @CircuitBreaker(UPSTREAM)
  @CallTimeout(UPSTREAM)
  async lookup(key: string): Promise<DirectoryAnswer> {
    const url = `${this.baseUrl}/directory/${encodeURIComponent(key)}`;
    const response = await fetch(url, { signal: currentAbortSignal(), headers: { accept: 'application/json' } });
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpstreamHttpError(response.status, url, response.headers.get('retry-after') ?? undefined);
    }
    const text = await response.text();
    const body: unknown = JSON.parse(text);
    this.lastGood.set(key, body, text.length);
    return { body, fromCache: false };
  }

  protected fromLastGood(_error: unknown, key: string): DirectoryAnswer {
    const body = this.lastGood.get(key);
    if (body === undefined) throw new ServiceUnavailableException({ error: 'upstream unavailable' });
    return { body, fromCache: true };
  }

  /** Maps what `lookup` lets through (upstream 4xx) to the answer the contract gives. */
  static toHttpError(error: unknown, key: string): unknown {
    if (!(error instanceof UpstreamHttpError)) return error;
    if (error.status === 404) return new NotFoundException({ error: `no directory entry "${key}"` });
    return new BadGatewayException({ error: `upstream rejected the request (${error.status})` });
  }
}
