import { BadRequestException, Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { isValidObjectId } from 'mongoose';
import { CreateOrganizationDto } from './create-organization.dto';
import { OrganizationsService, type OrganizationView } from './organizations.service';

@Controller('organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: CreateOrganizationDto): Promise<OrganizationView> {
    return this.organizations.create(body);
  }

  @Get(':id')
  findOne(@Param('id') id: string): Promise<OrganizationView> {
    if (!isValidObjectId(id) || !/^[0-9a-f]{24}$/i.test(id)) {
      throw new BadRequestException(`"${id.slice(0, 64)}" is not an organization id.`);
    }
    return this.organizations.findById(id);
  }
}
