import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { OwnerFreeQuery } from '../../common/owner-free.query';
import { toInt } from '../../common/validators';
import { PROVIDER_KEY_PATTERN } from '../../providers/provider-key';
import { SESSION_STATUSES } from './session-status.response.dto';

export const SESSION_PAGE_SIZE = { default: 25, max: 100 } as const;
/** page × pageSize stays within what a tenant's index keeps. */
const SESSION_MAX_PAGE = 100;

export class ListSessionsQueryDto extends OwnerFreeQuery {
  @ApiPropertyOptional({ description: 'Only sessions in this status', enum: SESSION_STATUSES, example: 'pending' })
  @IsOptional()
  @IsIn(SESSION_STATUSES, { message: `status must be one of: ${SESSION_STATUSES.join(', ')}` })
  status?: (typeof SESSION_STATUSES)[number];

  @ApiPropertyOptional({ description: 'Only sessions for this provider', example: 'hibob', pattern: PROVIDER_KEY_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(PROVIDER_KEY_PATTERN, { message: 'provider must be a provider key (lower-case letters, digits, _ and -)' })
  provider?: string;

  @ApiPropertyOptional({ description: `Page number (1 to ${SESSION_MAX_PAGE})`, example: 1, minimum: 1, maximum: SESSION_MAX_PAGE })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(SESSION_MAX_PAGE)
  page?: number;

  @ApiPropertyOptional({
    description: `Page size (1 to ${SESSION_PAGE_SIZE.max}, default ${SESSION_PAGE_SIZE.default})`,
    example: 25,
    minimum: 1,
    maximum: SESSION_PAGE_SIZE.max,
  })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(SESSION_PAGE_SIZE.max)
  pageSize?: number;
}
