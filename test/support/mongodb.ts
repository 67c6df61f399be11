/**
 * Where Mongo-backed tests find MongoDB. The e2e global setup resolves it once per run: `MONGODB_URI`
 * if set, else a mongodb-memory-server if it can obtain a binary, else a reason to skip that is printed once.
 */
export type MongoTarget = { uri: string; skipReason?: undefined } | { uri?: undefined; skipReason: string };

export function mongoTarget(): MongoTarget {
  const uri = process.env.MONGODB_URI;
  if (uri) return { uri };
  return { skipReason: process.env.MONGODB_SKIP_REASON ?? 'MONGODB_URI is not set and no MongoDB binary was found' };
}
