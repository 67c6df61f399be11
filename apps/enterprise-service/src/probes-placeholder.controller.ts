import { Controller, Get } from '@nestjs/common';

/** Liveness until libs/health is wired (it replaces this file). */
@Controller('health')
export class ProbesPlaceholderController {
  @Get('liveness')
  liveness(): { status: string } {
    return { status: 'ok' };
  }
}
