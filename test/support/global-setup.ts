import { existsSync } from 'node:fs';
import { SERVICE_MAIN } from './service-process';

/** Runs once per e2e run: the build must exist, and MongoDB is found (or the reason it is not is printed once). */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} is missing: the e2e suite spawns the built service; run \`npm run build\` first.`);
  }
  if (process.env.MONGODB_URI) return;
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    const server = await withTimeout(MongoMemoryServer.create(), 20_000);
    process.env.MONGODB_URI = server.getUri('enterprise-test');
    (globalThis as { __MONGOD__?: { stop(): Promise<boolean> } }).__MONGOD__ = server;
  } catch (error) {
    const reason = `no MongoDB for Mongo-backed tests (MONGODB_URI is not set; mongodb-memory-server could not start: ${
      (error as Error).message.split('\n')[0]
    })`;
    process.env.MONGODB_SKIP_REASON = reason;
    console.log(`\n[e2e] Skipping Mongo-backed tests: ${reason}\n`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}
