import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { ProviderListResponseDto } from './provider.response.dto';
import { ProvidersQueryDto } from './providers-query.dto';
import { ProvidersService } from './providers.service';

@ApiTags('providers')
@ApiTenantAuth()
@UseGuards(TenantThrottlerGuard)
@Controller('v1/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @ApiOperation({ summary: 'Connectors your tenant may connect (for drawing your own picker)' })
  @ApiOkResponse({ type: ProviderListResponseDto })
  @ApiProblemResponses(400, 401, 429, 502, 503, 504)
  async list(@Query() query: ProvidersQueryDto): Promise<ProviderListResponseDto> {
    const data = await this.providers.list(query.category);
    return { data, page: 1, pageSize: data.length, hasMore: false };
  }
}
