import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { maskCredentials } from '@nestjs-reliability/common';
import type { AppConfig } from '../config/app-config';
import { ConfigError } from '../config/config.error';

/** Node's error codes for a server certificate that fails verification (`ERR_TLS_CERT_ALTNAME_INVALID` included). */
const CERTIFICATE_ERROR = /CERT/;

/**
 * One TLS handshake with a `rediss://` REDIS_URL before the app starts. A certificate that fails verification (an
 * untrusted CA, a host name it does not cover, expired) is a configuration error: start-up stops with exit 78 and
 * one line naming the variable to fix, instead of a background reconnection that can never succeed. An unreachable
 * server is an outage like any other and is left to the background reconnection.
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
      socket.once('secureConnect', () => done());
      socket.once('error', done);
      socket.once('timeout', () => done());
    },
  );
  if (!error?.code || !CERTIFICATE_ERROR.test(error.code)) return;
  const redisUrl = maskCredentials(config.redisUrl);
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    throw new ConfigError(
      'REDIS_URL',
      redisUrl,
      `the Redis server's TLS certificate is not for host ${host}: it names ${error.cert?.subjectaltname ?? 'no alternative names'}`,
    );
  const reason = `the Redis server's TLS certificate fails verification (${error.code}: ${error.message})`;
  if (config.redisTlsCa)
    throw new ConfigError('REDIS_TLS_CA_FILE', config.redisTlsCa.file, `${reason}; is it the CA that signed it?`);
  throw new ConfigError('REDIS_URL', redisUrl, `${reason}; set REDIS_TLS_CA_FILE to the CA that signed it`);
}
