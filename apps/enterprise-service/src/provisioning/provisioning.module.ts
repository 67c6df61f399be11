import { BullModule, Processor } from '@nestjs/bullmq';
import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobsModule } from '@nestjs-reliability/jobs';
import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { redisClusterOptions, redisConnectionOptions } from '../connections/redis-connection';
import { requestContext } from '../logging/request-context';
import { Organization, OrganizationSchema } from '../organizations/organization.schema';
import { PROVISIONING_QUEUE } from './provisioning.constants';
import { ProvisioningEffect, ProvisioningEffectSchema } from './provisioning-effect.schema';
import { ProvisioningProcessor } from './provisioning.processor';
import { ProvisioningService } from './provisioning.service';
import { ProvisioningSweeper } from './provisioning.sweeper';

/**
 * Organization provisioning on BullMQ (through @nestjs/bullmq), supervised by `@nestjs-reliability/jobs`. BullMQ
 * has connections of its own, never the service's ioredis client (`bullConnections`).
 */
@Module({})
export class ProvisioningModule {
  static forRoot(config: AppConfig): DynamicModule {
    const connections = bullConnections(config);
    // The worker's settings come from the configuration, so @Processor is applied here rather than on the class.
    Processor(PROVISIONING_QUEUE, {
      connection: connections.worker,
      concurrency: config.jobs.concurrency,
      lockDuration: config.jobs.lockDurationMs,
      stalledInterval: config.jobs.stalledIntervalMs,
      // A job whose worker keeps dying (it may be what kills it) fails after this many recoveries.
      maxStalledCount: 5,
      // After a Redis error the worker waits this long before it tries to claim again (BullMQ's default: 15 s), so
      // it claims within about a second of Redis coming back.
      runRetryDelay: 1_000,
      autorun: false,
    })(ProvisioningProcessor);
    return {
      module: ProvisioningModule,
      imports: [
        // An explicit `prefix: undefined` would replace BullMQ's default ("bull") and move every key.
        BullModule.forRoot({
          connection: connections.queue,
          ...(connections.prefix && { prefix: connections.prefix }),
        }),
        BullModule.registerQueue({
          name: PROVISIONING_QUEUE,
          defaultJobOptions: {
            attempts: 10,
            backoff: { type: 'exponential', delay: 500 },
            removeOnComplete: { age: 24 * 3600, count: 100_000 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        }),
        JobsModule.forRoot({ isGlobal: true, correlationId: () => requestContext.getStore()?.reqId }),
        MongooseModule.forFeature([
          { name: Organization.name, schema: OrganizationSchema },
          { name: ProvisioningEffect.name, schema: ProvisioningEffectSchema },
        ]),
      ],
      providers: [
        ProvisioningService,
        ProvisioningProcessor,
        ProvisioningSweeper,
        { provide: ClusterClients, useValue: new ClusterClients(connections.clusters) },
      ],
      exports: [ProvisioningService],
    };
  }
}

/**
 * BullMQ's connections. From options it opens its own: the worker's wait for jobs with no retry limit
 * (`maxRetriesPerRequest: null`, as BullMQ requires), the queue's failing fast so a request never hangs on Redis.
 * BullMQ cannot make a Cluster from options: on Redis Cluster the clients are made here (and closed by
 * `ClusterClients`), and the prefix carries a hash tag so that every key of a queue lives in one slot.
 */
function bullConnections(config: AppConfig): {
  queue: ConnectionOptions;
  worker: ConnectionOptions;
  prefix: string | undefined;
  clusters: Cluster[];
} {
  if (!config.redisClusterNodes) {
    const connection = redisConnectionOptions(config);
    return {
      queue: { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      worker: { ...connection, maxRetriesPerRequest: null },
      prefix: undefined,
      clusters: [],
    };
  }
  const { nodes, options } = redisClusterOptions(config);
  const queue = new Cluster(nodes, {
    ...options,
    enableOfflineQueue: false,
    redisOptions: { ...options.redisOptions, maxRetriesPerRequest: 1 },
  });
  const worker = new Cluster(nodes, {
    ...options,
    redisOptions: { ...options.redisOptions, maxRetriesPerRequest: null },
  });
  // They connect now, before BullMQ listens for their errors (it reports them through the queue and worker): until
  // then ioredis would print an outage's errors to stderr as unhandled.
  for (const client of [queue, worker]) client.on('error', () => undefined);
  return { queue, worker, prefix: '{bull}', clusters: [queue, worker] };
}

/** The Cluster clients made for BullMQ, which leaves a client it was given open: closed once the app shuts down. */
class ClusterClients implements OnApplicationShutdown {
  constructor(private readonly clients: Cluster[]) {}

  onApplicationShutdown(): void {
    for (const client of this.clients) client.disconnect();
  }
}
