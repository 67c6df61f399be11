import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files made by openssl for one test file: a CA, server certificates it signed, and an unrelated CA. */
export interface TlsCertificates {
  /** The CA that signed the server certificates. */
  caFile: string;
  /** A CA that signed nothing here: trusting it alone must fail verification. */
  otherCaFile: string;
  /** Valid for 127.0.0.1 (IP SAN) and `localhost`. */
  server: { cert: string; key: string };
  /** Signed by the CA but for `redis.elsewhere.test` only: a host-name mismatch at 127.0.0.1. */
  elsewhere: { cert: string; key: string };
}

const dirs: string[] = [];

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `openssl ${args.join(' ')} failed (is openssl on PATH?): ${String((error as { stderr?: Buffer }).stderr)}`,
    );
  }
}

const newKey = (name: string) => ['-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`];

/** Makes the certificates in a temporary directory, removed after the test file. */
export function makeTlsCertificates(): TlsCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tls-test-'));
  dirs.push(dir);
  for (const ca of ['ca', 'other-ca']) openssl(dir, ['req', '-x509', ...newKey(ca), '-days', '2', '-out', `${ca}.crt`]);
  const sign = (name: string, altNames: string) => {
    openssl(dir, ['req', ...newKey(name), '-addext', `subjectAltName=${altNames}`, '-out', `${name}.csr`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-copy_extensions',
      'copy',
      '-days',
      '2',
      '-out',
      `${name}.crt`,
    ]);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  return {
    caFile: join(dir, 'ca.crt'),
    otherCaFile: join(dir, 'other-ca.crt'),
    server: sign('server', 'IP:127.0.0.1,DNS:localhost'),
    elsewhere: sign('elsewhere', 'DNS:redis.elsewhere.test'),
  };
}

if (typeof afterAll === 'function')
  afterAll(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
