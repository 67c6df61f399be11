const URL_WITH_SCHEME = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;
const CREDENTIALS_AT_HOST = /\S+:\S+@\S+/g;
const MAX_LENGTH = 200;

/**
 * Turns an error message into a reason fit for a probe body: the first line only (no stack trace), connection
 * strings and `user:password@host` pairs replaced, at most 200 characters. Drivers put hosts in their messages.
 */
export function redactSecrets(message: string): string {
  const firstLine = message.split('\n', 1)[0].trim();
  const redacted = firstLine.replace(URL_WITH_SCHEME, '[redacted url]').replace(CREDENTIALS_AT_HOST, '[redacted]');
  return redacted.length > MAX_LENGTH ? `${redacted.slice(0, MAX_LENGTH - 1)}…` : redacted;
}
