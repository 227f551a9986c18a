import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { Tenant } from '../auth/tenant';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { ConnectSessionsService } from './connect-sessions.service';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CreateConnectSessionDto } from './dto/create-connect-session.dto';

@ApiTags('connect-sessions')
@ApiTenantAuth()
@Controller('v1/connect-sessions')
export class ConnectSessionsController {
  constructor(private readonly service: ConnectSessionsService) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create a StackOne connect session for your tenant',
    description:
      'The owner (origin_owner_id / origin_owner_name) is taken from your credentials; sending it in the body is refused.',
  })
  @ApiCreatedResponse({ type: ConnectSessionResponseDto })
  @ApiProblemResponses(400, 401, 403, 404, 413, 422, 429, 502, 503, 504)
  create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateConnectSessionDto): Promise<ConnectSessionResponseDto> {
    return this.service.create(tenant, dto);
  }
}
