import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import type { Tenant } from '../auth/tenant';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { EventListResponseDto } from './dto/feed-event.response.dto';
import { EVENT_PAGE_SIZE, ListEventsQueryDto } from './dto/list-events.query.dto';
import { EventLog } from './event-log.service';

@ApiTags('events')
@ApiTenantAuth()
@UseGuards(TenantThrottlerGuard)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventLog) {}

  @Get()
  @ApiOperation({
    summary: "Your tenant's events (accounts created, updated, deleted; connect sessions completed, expired), oldest first after a cursor",
    description: 'Poll with `after` set to the previous `nextCursor`. Events are kept for EVENT_RETENTION_SECONDS (default 7 days).',
  })
  @ApiOkResponse({ type: EventListResponseDto })
  @ApiProblemResponses(400, 401, 429, 503)
  list(@CurrentTenant() tenant: Tenant, @Query() query: ListEventsQueryDto): Promise<EventListResponseDto> {
    return this.events.read(tenant.id, query.after, query.limit ?? EVENT_PAGE_SIZE.default);
  }
}
