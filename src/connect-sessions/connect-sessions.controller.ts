import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { Tenant } from '../auth/tenant';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { IdParamPipe } from '../common/id-param.pipe';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { Idempotent, IdempotencyHeaders, IdempotencyKey } from '../idempotency/idempotent.decorator';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { ConnectSessionsService } from './connect-sessions.service';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CREATE_CONNECT_SESSION_EXAMPLES, CreateConnectSessionDto } from './dto/create-connect-session.dto';
import { ListSessionsQueryDto } from './dto/list-sessions.query.dto';
import { SessionListResponseDto, SessionStatusResponseDto } from './dto/session-status.response.dto';
import { OwnerNotInQueryGuard } from './owner-not-in-query.guard';
import { SessionQueries } from './session-queries';

/** A replayed session is never handed out past its own expiry. */
const untilSessionExpires = (session: ConnectSessionResponseDto): number => Date.parse(session.expiresAt) - Date.now();

@ApiTags('connect-sessions')
@ApiTenantAuth()
@UseGuards(TenantThrottlerGuard)
@Controller('v1/connect-sessions')
export class ConnectSessionsController {
  constructor(
    private readonly service: ConnectSessionsService,
    private readonly status: SessionQueries,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @UseGuards(OwnerNotInQueryGuard)
  @Idempotent()
  @ApiOperation({
    summary: 'Create a StackOne connect session for your tenant',
    description:
      'The owner (origin_owner_id / origin_owner_name) is taken from your credentials; sending it in the body or the query string is refused.',
  })
  @ApiBody({ type: CreateConnectSessionDto, required: false, examples: CREATE_CONNECT_SESSION_EXAMPLES })
  @ApiCreatedResponse({ type: ConnectSessionResponseDto })
  @ApiProblemResponses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504)
  create(@CurrentTenant() tenant: Tenant, @Body() dto: CreateConnectSessionDto, @IdempotencyKey() idempotency: IdempotencyHeaders): Promise<ConnectSessionResponseDto> {
    return this.idempotency.respond(tenant, idempotency, dto, () => this.service.create(tenant, dto), untilSessionExpires);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "Your tenant's connect sessions, newest first, one page at a time",
    description: 'Filter by `status` (pending, completed, expired) and `provider`; `hasMore` says whether to ask for the next page.',
  })
  @ApiOkResponse({ type: SessionListResponseDto })
  @ApiProblemResponses(400, 401, 429, 503)
  list(@CurrentTenant() tenant: Tenant, @Query() query: ListSessionsQueryDto): Promise<SessionListResponseDto> {
    return this.status.list(tenant, query);
  }

  @Get(':sessionId')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Whether one of your sessions was completed',
    description:
      'pending until the account it was made for is created, or the account it was opened to update (a re-link, an `update` preview) is updated, as StackOne\'s webhook says (never by this service\'s own account edits; see docs/sessions.md), then completed with the account; expired once expiresAt passes pending. Another tenant\'s session answers 404, like an unknown one.',
  })
  @ApiParam({ name: 'sessionId', example: '1234' })
  @ApiOkResponse({ type: SessionStatusResponseDto })
  @ApiProblemResponses(400, 401, 404, 429, 503)
  get(@CurrentTenant() tenant: Tenant, @Param('sessionId', new IdParamPipe('sessionId')) sessionId: string): Promise<SessionStatusResponseDto> {
    return this.status.get(tenant, sessionId);
  }
}
