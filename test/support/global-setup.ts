import { existsSync } from 'node:fs';
import { mongoAvailability } from './mongodb';
import { SERVICE_MAIN } from './service-process';

/**
 * Runs once per e2e run: the build must exist, and MongoDB is found (FerretDB is built when it can be) or the
 * reason it is not is printed once.
 */
export default function globalSetup(): void {
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} is missing: the e2e suite spawns the built service; run \`npm run build\` first.`);
  }
  const mongo = mongoAvailability({ build: true });
  if (mongo.skipReason !== undefined) console.log(`\n[e2e] Skipping Mongo-backed tests: ${mongo.skipReason}\n`);
  else console.log(`\n[e2e] Mongo-backed tests run on ${mongo.kind === 'ferretdb' ? mongo.binary : 'MONGODB_URI'}\n`);
}
