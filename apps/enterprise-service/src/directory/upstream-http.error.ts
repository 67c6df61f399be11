/** The directory API answered with a non-2xx status. `status` drives retry and breaker classification. */
export class UpstreamHttpError extends Error {
  override readonly name = 'UpstreamHttpError';

  constructor(
    readonly status: number,
    readonly url: string,
    /** The upstream's `Retry-After`, honoured by `@Retry`. */
    readonly retryAfter: string | undefined,
  ) {
    super(`The directory API answered ${status} for ${url}.`);
  }
}
