import { Module } from '@nestjs/common';
import { LeaderLoopService } from './leader-loop.service';

@Module({ providers: [LeaderLoopService] })
export class LeaderLoopModule {}
