/** Stops the mongodb-memory-server that global setup may have started. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __MONGOD__?: { stop(): Promise<boolean> } }).__MONGOD__?.stop();
}
