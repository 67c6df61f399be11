import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import { MetricsService } from '@nestjs-reliability/metrics';
import { type Connection, ConnectionStates, type Model } from 'mongoose';
import type { Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Organization } from './organization.schema';

/**
 * The `organizations` gauge: MongoDB's estimated count of the collection, refreshed in the background every
 * `organizations.countRefreshMs`, so neither a request nor a scrape ever waits on MongoDB for it. It keeps its last
 * value while MongoDB is away (0 until the first count). Named without `_total`, which Prometheus keeps for counters.
 */
@Injectable()
export class OrganizationsCountGauge implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OrganizationsCountGauge');
  private readonly gauge: Gauge;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    @InjectModel(Organization.name) private readonly organizations: Model<Organization>,
    @InjectConnection() private readonly connection: Connection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.gauge = metrics.gauge({
      name: 'organizations',
      help: 'Organizations stored (MongoDB estimated count, refreshed in the background).',
    });
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  // One count at a time: the next is scheduled when the last has finished, however long it took.
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => void this.refresh().finally(() => this.schedule(this.config.organizations.countRefreshMs)),
      delayMs,
    );
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    if (this.connection.readyState !== ConnectionStates.connected) return;
    try {
      this.gauge.set(await this.organizations.estimatedDocumentCount());
      this.failing = false;
    } catch (error) {
      // Logged once per failing streak; the operation's failure is counted by the db metrics anyway.
      if (!this.failing) this.logger.warn(`Counting organizations failed: ${(error as Error).message}`);
      this.failing = true;
    }
  }
}
