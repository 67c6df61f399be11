import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HEALTH_CHECK_REGISTRY, type HealthCheckRegistry } from '@nestjs-reliability/common';
import { TsidService } from './tsid.service';

/** Readiness check `tsid` (critical): up while an ID could be issued now, down with the reason otherwise. */
@Injectable()
export class TsidHealthIndicator implements OnModuleInit {
  constructor(
    private readonly tsid: TsidService,
    @Optional() @Inject(HEALTH_CHECK_REGISTRY) private readonly registry?: HealthCheckRegistry,
  ) {}

  onModuleInit(): void {
    this.registry?.register({
      name: 'tsid',
      critical: true,
      check: () => {
        const status = this.tsid.status();
        return status.available
          ? { tsid: { status: 'up', nodeId: status.nodeId } }
          : { tsid: { status: 'down', message: status.reason } };
      },
    });
  }
}
