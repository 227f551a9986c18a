import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { OWNER_NOT_IN_QUERY } from '../../common/request-validation.error';
import { IsAbsent } from '../../common/validators';
import { PROVIDER_KEY_PATTERN } from '../../providers/provider-key';
import { SESSION_STATUSES } from './session-status.response.dto';

export const SESSION_PAGE_SIZE = { default: 25, max: 100 } as const;
/** page × pageSize stays within what a tenant's index keeps. */
export const SESSION_MAX_PAGE = 100;

/** Only digits become numbers; anything else stays as is and fails @IsInt with a clear message. */
const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value);

const ownerAbsent = { message: OWNER_NOT_IN_QUERY };

export class ListSessionsQueryDto {
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

  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerId?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerName?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerIds?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_id?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_name?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_ids?: unknown;
}
