import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it; never 6379). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    if (port !== undefined && port !== 6379) return port;
  }
}

/**
 * The first of `count` consecutive TCP ports free a moment ago on 127.0.0.1, for a server that binds port + i
 * (PM2's workers). Picked below the kernel's ephemeral range: a port the OS hands out there (freePort's) is safe
 * from outgoing connections because Linux gives bind(0) odd ports and connect() even ones, but its neighbour is an
 * even port any connection may take before the server binds it.
 */
export async function freeConsecutivePorts(count: number): Promise<number> {
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  const low = Math.max(1_024, ephemeralStart - 12_000);
  for (;;) {
    const first = low + Math.floor(Math.random() * (ephemeralStart - low - count));
    let free = true;
    for (let port = first; free && port < first + count; port++) free = (await listenOnce(port)) === port;
    if (free) return first;
  }
}

/** Listens on `port` of 127.0.0.1 and closes at once: the port bound, or undefined when it was taken. */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(undefined) : reject(error),
    );
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}
