export { killAll, trackedCount } from './child-processes';
export { freePort } from './free-port';
export { GatedProxy } from './gated-proxy';
export { RedisServer, startRedis } from './redis-server';
export { RedisCluster, startRedisCluster } from './redis-cluster';
export {
  SERVICE_MAIN,
  ServiceProcess,
  startService,
  UNREACHABLE_MONGODB_URI,
  UNREACHABLE_REDIS_URL,
} from './service-process';
export type { ExitResult, StartServiceOptions } from './service-process';
export { FerretDbServer, mongoAvailability, ProxiedMongoDb, startMongo } from './mongodb';
export type { MongoAvailability, MongoServer } from './mongodb';
export { waitFor } from './wait-for';
