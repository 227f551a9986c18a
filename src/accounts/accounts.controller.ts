import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiTenantAuth } from '../auth/api-tenant-auth.decorator';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import type { Tenant } from '../auth/tenant';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { IdParamPipe } from '../common/id-param.pipe';
import { TenantThrottlerGuard } from '../throttling/tenant-throttler.guard';
import { AccountsService } from './accounts.service';
import { AccountListResponseDto, AccountResponseDto } from './dto/account.response.dto';
import { ListAccountsQueryDto } from './dto/list-accounts.query.dto';
import { UpdateAccountDto } from './dto/update-account.dto';

/** Account ids go into StackOne URLs: only plain id characters get that far. */
const ACCOUNT_ID = new IdParamPipe('id');

@ApiTags('accounts')
@ApiTenantAuth()
@UseGuards(TenantThrottlerGuard)
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: "Your tenant's linked accounts, one page at a time (`hasMore` says whether to ask for the next page)" })
  @ApiOkResponse({ type: AccountListResponseDto })
  @ApiProblemResponses(400, 401, 429, 502, 503, 504)
  list(@CurrentTenant() tenant: Tenant, @Query() query: ListAccountsQueryDto): Promise<AccountListResponseDto> {
    return this.accounts.list(tenant, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your accounts' })
  @ApiParam({ name: 'id', example: '46132201201510402136' })
  @ApiOkResponse({ type: AccountResponseDto })
  @ApiProblemResponses(400, 401, 404, 429, 502, 503, 504)
  get(@CurrentTenant() tenant: Tenant, @Param('id', ACCOUNT_ID) id: string): Promise<AccountResponseDto> {
    return this.accounts.get(tenant, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change one of your accounts' label or metadata" })
  @ApiParam({ name: 'id', example: '46132201201510402136' })
  @ApiOkResponse({ type: AccountResponseDto })
  @ApiProblemResponses(400, 401, 404, 422, 429, 502, 503, 504)
  update(
    @CurrentTenant() tenant: Tenant,
    @Param('id', ACCOUNT_ID) id: string,
    @Body() dto: UpdateAccountDto,
  ): Promise<AccountResponseDto> {
    return this.accounts.update(tenant, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Disconnect one of your accounts' })
  @ApiParam({ name: 'id', example: '46132201201510402136' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 401, 404, 429, 502, 503, 504)
  remove(@CurrentTenant() tenant: Tenant, @Param('id', ACCOUNT_ID) id: string): Promise<void> {
    return this.accounts.remove(tenant, id);
  }
}
