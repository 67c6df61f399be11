import { BadRequestException, Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { isInvalidTsidError, TsidService } from '@nestjs-reliability/tsid';
import { CreateOrganizationDto } from './create-organization.dto';
import { OrganizationsService, type OrganizationView } from './organizations.service';

const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
// Visible ASCII: a UUID or any token a client makes. A repeated header arrives joined by ", " and is refused.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Controller('organizations')
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly tsid: TsidService,
  ) {}

  @Post()
  @HttpCode(201)
  create(
    @Body() body: CreateOrganizationDto,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyKey: string | undefined,
  ): Promise<OrganizationView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters, sent once.');
    }
    return this.organizations.create(body, idempotencyKey);
  }

  @Get(':id')
  findOne(@Param('id') id: string): Promise<OrganizationView> {
    let canonical: string;
    try {
      canonical = this.tsid.normalize(id);
    } catch (error) {
      if (isInvalidTsidError(error)) throw new BadRequestException(`"${id.slice(0, 64)}" is not an organization id.`);
      throw error;
    }
    return this.organizations.findById(canonical);
  }
}
