import { Body, Controller, Header, Headers, HttpCode, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { Tenant } from '../auth/tenant';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { OwnerNotInQueryPipe } from '../common/request-validation.error';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { ConnectSessionsService } from './connect-sessions.service';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CREATE_CONNECT_SESSION_EXAMPLES, CreateConnectSessionDto } from './dto/create-connect-session.dto';

@ApiTags('connect-sessions')
@ApiTenantAuth()
@UseGuards(TenantThrottlerGuard)
@Controller('v1/connect-sessions')
export class ConnectSessionsController {
  constructor(
    private readonly service: ConnectSessionsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create a StackOne connect session for your tenant',
    description:
      'The owner (origin_owner_id / origin_owner_name) is taken from your credentials; sending it in the body or the query string is refused.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retry-safe creation: the same key and body within the TTL replays the first answer (Idempotent-Replayed: true) without calling StackOne again; another body under the same key gets 422.',
  })
  @ApiBody({ type: CreateConnectSessionDto, required: false, examples: CREATE_CONNECT_SESSION_EXAMPLES })
  @ApiCreatedResponse({ type: ConnectSessionResponseDto })
  @ApiProblemResponses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504)
  async create(
    @CurrentTenant() tenant: Tenant,
    // Read only to refuse owner fields there: nothing else in the query string is used.
    @Query(OwnerNotInQueryPipe) _query: Record<string, unknown>,
    @Body() dto: CreateConnectSessionDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConnectSessionResponseDto> {
    if (idempotencyKey === undefined) return this.service.create(tenant, dto);
    const { value, replayed } = await this.idempotency.run(
      tenant,
      idempotencyKey,
      dto,
      () => this.service.create(tenant, dto),
      (session) => Date.parse(session.expiresAt) - Date.now(),
    );
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return value;
  }
}
