import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { Logger } from '@nestjs/common';
import { maskCredentials } from '@nestjs-reliability/common';
import type { AppConfig } from '../config/app-config';
import { ConfigError } from '../config/config.error';

/** Node's codes for a server certificate this client cannot verify: fixed only by configuration (CA, host name). */
const VERIFICATION_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** A certificate outside its validity period: the server's to renew (or the clock's), not this service's setting. */
const VALIDITY_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** The server asks for a client certificate (TLS 1.3 alert; TLS 1.2 servers just fail the handshake). */
const CLIENT_CERTIFICATE_REQUIRED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
]);
/** A command as Redis reads it (RESP). */
const command = (...args: string[]) =>
  `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
/** Under TLS 1.3 a server that requires a client certificate says so only after the handshake: send a command. */
const PING = command('PING');
/** `SENTINEL GET-MASTER-ADDR-BY-NAME`'s answer: the primary's host and port. */
const PRIMARY_ADDRESS = /^\*2\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n(\d+)\r\n/;

type TlsError = NodeJS.ErrnoException & { cert?: { subjectaltname?: string } };

/** Where a certificate came from, for the message: the variable that named the server and how to print it. */
interface Origin {
  variable: string;
  value: string;
  server: string;
}

/**
 * One TLS handshake (and a command) with each Redis server the service will reach over TLS, before the app starts:
 * a `rediss://` REDIS_URL's server or, with REDIS_SENTINELS, the first Sentinel to answer and the primary it names.
 * A certificate this client cannot verify (an untrusted CA, a host name it does not cover) or a server that requires
 * a client certificate (mutual TLS is not supported) is a configuration error: start-up stops with exit 78
 * (which PM2 and systemd treat as "do not restart") and one line naming the variable to fix. An expired or not yet
 * valid certificate is the server's to renew: it is logged as an error and left to the background reconnection,
 * like an unreachable server, so the service recovers by itself once the certificate is renewed.
 */
export async function checkRedisTls(config: AppConfig, timeoutMs = 2_000): Promise<void> {
  if (!config.redisUrl.startsWith('rediss:')) return;
  const exchange = (host: string, port: number, request: string) => tlsExchange(config, host, port, request, timeoutMs);
  if (!config.redisSentinels) {
    const url = new URL(config.redisUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const { error } = await exchange(host, Number(url.port || 6379), PING);
    const origin = { variable: 'REDIS_URL', value: maskCredentials(config.redisUrl), server: 'the Redis server' };
    judge(error, config, origin, host);
    return;
  }
  const sentinels = config.redisSentinels.map(({ host, port }) => `${host}:${port}`).join(',');
  // All asked at once, the first to answer (or to fail its handshake) used: one unreachable Sentinel costs nothing.
  const request = command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', config.redisSentinelName);
  const first = await Promise.any(
    config.redisSentinels.map(async (sentinel) => {
      const outcome = await exchange(sentinel.host, sentinel.port, request);
      if (outcome.reply === undefined && !isTlsVerdict(outcome.error)) throw new Error('no answer');
      return { sentinel, ...outcome };
    }),
  ).catch(() => undefined);
  // None reachable: the background connection retries and reports it.
  if (!first) return;
  const { sentinel, error, reply } = first;
  const origin = { variable: 'REDIS_SENTINELS', value: sentinels, server: `the Redis Sentinel ${sentinel.host}` };
  if (judge(error, config, origin, sentinel.host)) return;
  // No primary known (yet), or an error answer: the background connection reports it.
  const primary = PRIMARY_ADDRESS.exec(reply ?? '');
  if (!primary) return;
  const [, host, port] = primary;
  const named = { variable: 'REDIS_SENTINELS', value: sentinels, server: `the Redis primary ${host}:${port}` };
  judge((await exchange(host, Number(port), PING)).error, config, named, host);
}

/** Connects with TLS, sends `request` and resolves with the first bytes of the answer, or the error. */
function tlsExchange(
  config: AppConfig,
  host: string,
  port: number,
  request: string,
  timeoutMs: number,
): Promise<{ error?: TlsError; reply?: string }> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      ca: config.redisTlsCa?.pem,
      servername: isIP(host) ? undefined : host,
      timeout: timeoutMs,
    });
    const done = (outcome: { error?: TlsError; reply?: string }) => {
      socket.destroy();
      resolve(outcome);
    };
    // Any reply (even -NOAUTH) proves the server accepted this client without a certificate.
    socket.once('secureConnect', () => socket.write(request));
    socket.once('data', (chunk: Buffer) => done({ reply: chunk.toString('latin1') }));
    socket.once('error', (error: TlsError) => done({ error }));
    socket.once('timeout', () => done({}));
  });
}

function isTlsVerdict(error: TlsError | undefined): boolean {
  const code = error?.code ?? '';
  return VALIDITY_ERRORS.has(code) || CLIENT_CERTIFICATE_REQUIRED.has(code) || VERIFICATION_ERRORS.has(code);
}

/**
 * Throws the configuration error `error` means, or logs an expired certificate; true when the TLS handshake did not
 * go through, so there is nothing further to ask that server.
 */
function judge(error: TlsError | undefined, config: AppConfig, origin: Origin, host: string): boolean {
  const code = error?.code;
  if (!code || !isTlsVerdict(error)) return false;
  if (VALIDITY_ERRORS.has(code)) {
    new Logger('Redis').error(
      `The TLS certificate of ${origin.server} is not valid now (${code}: ${error.message}): every connection ` +
        'fails until it is renewed (or the clocks agree); retrying in the background',
    );
    return true;
  }
  if (CLIENT_CERTIFICATE_REQUIRED.has(code))
    throw new ConfigError(
      origin.variable,
      origin.value,
      `${origin.server} requires a client certificate (${code}), and mutual TLS is not supported; ` +
        'set tls-auth-clients to no (or optional) on the server',
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    throw new ConfigError(
      origin.variable,
      origin.value,
      `the TLS certificate of ${origin.server} is not for host ${host}: it names ${error.cert?.subjectaltname ?? 'no alternative names'}`,
    );
  const reason = `the TLS certificate of ${origin.server} fails verification (${code}: ${error.message})`;
  if (config.redisTlsCa)
    throw new ConfigError('REDIS_TLS_CA_FILE', config.redisTlsCa.file, `${reason}; is it the CA that signed it?`);
  throw new ConfigError(origin.variable, origin.value, `${reason}; set REDIS_TLS_CA_FILE to the CA that signed it`);
}
