import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthRegistry } from '@nestjs-reliability/health';
import { TsidService } from './tsid.service';

/** Readiness check `tsid` (critical): up while an ID could be issued now, down with the reason otherwise. */
@Injectable()
export class TsidHealthIndicator implements OnModuleInit {
  constructor(
    private readonly tsid: TsidService,
    @Optional() private readonly registry?: HealthRegistry,
    @Optional() private readonly indicators?: HealthIndicatorService,
  ) {}

  onModuleInit(): void {
    const indicators = this.indicators;
    if (!this.registry || !indicators) return;
    this.registry.register({
      name: 'tsid',
      critical: true,
      check: () => {
        const session = indicators.check('tsid');
        const status = this.tsid.generator.status();
        return status.available ? session.up({ nodeId: status.nodeId }) : session.down({ message: status.reason });
      },
    });
  }
}
