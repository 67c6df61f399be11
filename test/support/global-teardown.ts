import type { ChildProcess } from 'node:child_process';

/** Stops the mongodb-memory-server process that global setup may have started. */
export default function globalTeardown(): void {
  (globalThis as { __MONGOD_PROCESS__?: ChildProcess }).__MONGOD_PROCESS__?.kill('SIGTERM');
}
