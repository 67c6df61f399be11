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
/** A Redis `PING`: under TLS 1.3 a server that requires a client certificate says so only after the handshake. */
const PING = '*1\r\n$4\r\nPING\r\n';

/**
 * One TLS handshake (and a PING) with a `rediss://` REDIS_URL before the app starts. A certificate this client
 * cannot verify (an untrusted CA, a host name it does not cover) or a server that requires a client certificate
 * (mutual TLS is not supported) is a configuration error: start-up stops with exit 78 (which PM2 and systemd
 * treat as "do not restart") and one line naming the variable to fix. An expired or not yet valid certificate is
 * the server's to renew: it is logged as an error and left to the background reconnection, like an unreachable
 * server, so the service recovers by itself once the certificate is renewed.
 */
export async function checkRedisTls(config: AppConfig, timeoutMs = 2_000): Promise<void> {
  if (config.redisSentinels || !config.redisUrl.startsWith('rediss:')) return;
  const url = new URL(config.redisUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const error = await new Promise<(NodeJS.ErrnoException & { cert?: { subjectaltname?: string } }) | undefined>(
    (resolve) => {
      const socket = connect({
        host,
        port: Number(url.port || 6379),
        ca: config.redisTlsCa?.pem,
        servername: isIP(host) ? undefined : host,
        timeout: timeoutMs,
      });
      const done = (outcome?: NodeJS.ErrnoException) => {
        socket.destroy();
        resolve(outcome);
      };
      // Any reply (even -NOAUTH) proves the server accepted this client without a certificate.
      socket.once('secureConnect', () => socket.write(PING));
      socket.once('data', () => done());
      socket.once('error', done);
      socket.once('timeout', () => done());
    },
  );
  const code = error?.code;
  if (!code) return;
  const redisUrl = maskCredentials(config.redisUrl);
  if (VALIDITY_ERRORS.has(code)) {
    new Logger('Redis').error(
      `The Redis server's TLS certificate is not valid now (${code}: ${error.message}): every connection fails ` +
        'until it is renewed (or the clocks agree); retrying in the background',
    );
    return;
  }
  if (CLIENT_CERTIFICATE_REQUIRED.has(code))
    throw new ConfigError(
      'REDIS_URL',
      redisUrl,
      `the Redis server requires a client certificate (${code}), and mutual TLS is not supported; ` +
        'set tls-auth-clients to no (or optional) on the server',
    );
  if (!VERIFICATION_ERRORS.has(code)) return;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    throw new ConfigError(
      'REDIS_URL',
      redisUrl,
      `the Redis server's TLS certificate is not for host ${host}: it names ${error.cert?.subjectaltname ?? 'no alternative names'}`,
    );
  const reason = `the Redis server's TLS certificate fails verification (${code}: ${error.message})`;
  if (config.redisTlsCa)
    throw new ConfigError('REDIS_TLS_CA_FILE', config.redisTlsCa.file, `${reason}; is it the CA that signed it?`);
  throw new ConfigError('REDIS_URL', redisUrl, `${reason}; set REDIS_TLS_CA_FILE to the CA that signed it`);
}
