export { killAll, trackedCount } from './child-processes';
export { freeConsecutivePorts, freePort } from './free-port';
export { GatedProxy } from './gated-proxy';
export { RedisCluster, startRedisCluster } from './redis-cluster';
export { RedisServer, startRedis } from './redis-server';
export type { RedisServerOptions } from './redis-server';
export { makeTlsCertificates } from './tls-certificates';
export type { TlsCertificates } from './tls-certificates';
export { SentinelGroup, startSentinelGroup } from './redis-sentinel';
export type { SentinelGroupOptions } from './redis-sentinel';
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
