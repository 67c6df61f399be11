import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICE_MAIN } from './service-process';

/** Runs once per e2e run: the build must exist, and MongoDB is found (or the reason it is not is printed once). */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} is missing: the e2e suite spawns the built service; run \`npm run build\` first.`);
  }
  if (process.env.MONGODB_URI) return;
  const line = await firstLineOfMemoryServer();
  if (line.startsWith('URI ')) {
    process.env.MONGODB_URI = line.slice(4);
    return;
  }
  const reason = `MONGODB_URI is not set and mongodb-memory-server could not start (${line.replace(/^ERROR /, '')})`;
  process.env.MONGODB_SKIP_REASON = reason;
  console.log(`\n[e2e] Skipping Mongo-backed tests: ${reason}\n`);
}

function firstLineOfMemoryServer(): Promise<string> {
  const child = spawn(process.execPath, [join(__dirname, 'mongo-memory-server.child.js')], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  (globalThis as { __MONGOD_PROCESS__?: typeof child }).__MONGOD_PROCESS__ = child;
  const lines = createInterface({ input: child.stdout });
  let timer: NodeJS.Timeout | undefined;
  return new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('ERROR no answer within 60 s'), 60_000);
    lines.once('line', resolve);
    child.once('exit', () => resolve('ERROR it exited without a word'));
  }).finally(() => {
    clearTimeout(timer);
    lines.close();
    child.stdout.destroy();
    child.unref();
  });
}
