import { Body, Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { Tenant } from '../auth/tenant';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { ConnectSessionsService } from './connect-sessions.service';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CREATE_CONNECT_SESSION_EXAMPLES, CreateConnectSessionDto } from './dto/create-connect-session.dto';
import { OwnerNotInQueryGuard } from './owner-not-in-query.guard';

/** A replayed session is never handed out past its own expiry. */
const untilSessionExpires = (session: ConnectSessionResponseDto): number => Date.parse(session.expiresAt) - Date.now();

@ApiTags('connect-sessions')
@ApiTenantAuth()
@UseGuards(TenantThrottlerGuard)
@Controller('v1/connect-sessions')
export class ConnectSessionsController {
  constructor(private readonly service: ConnectSessionsService) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @UseGuards(OwnerNotInQueryGuard)
  @Idempotent({ body: CreateConnectSessionDto, replayForMs: untilSessionExpires })
  @ApiOperation({
    summary: 'Create a StackOne connect session for your tenant',
    description:
      'The owner (origin_owner_id / origin_owner_name) is taken from your credentials; sending it in the body or the query string is refused.',
  })
  @ApiBody({ type: CreateConnectSessionDto, required: false, examples: CREATE_CONNECT_SESSION_EXAMPLES })
  @ApiCreatedResponse({ type: ConnectSessionResponseDto })
  @ApiProblemResponses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504)
  create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateConnectSessionDto): Promise<ConnectSessionResponseDto> {
    return this.service.create(tenant, dto);
  }
}
