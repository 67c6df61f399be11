import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { isInvalidTsidError, TsidService } from '@nestjs-reliability/tsid';
import { CreateOrganizationDto } from './create-organization.dto';
import { OrganizationsService, type OrganizationView } from './organizations.service';

@Controller('organizations')
export class OrganizationsController {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly tsid: TsidService,
  ) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: CreateOrganizationDto): Promise<OrganizationView> {
    return this.organizations.create(body);
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
