import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { HEALTH_STATES, HealthState } from '../../account-health/health';
import { PROVIDER_KEY_PATTERN } from '../../providers/provider-key';
import { toInt } from '../../common/validators';
import { OwnerFreeQuery } from '../../common/owner-free.query';

export const PAGE_SIZE = { default: 25, max: 100 } as const;
const ACCOUNT_STATUSES = ['active', 'inactive', 'suspended', 'archived', 'expired', 'error'] as const;

/** `?a=x&a=y` and `?a=x,y` both become ['x', 'y']. */
const toList = ({ value }: { value: unknown }): unknown[] =>
  (Array.isArray(value) ? (value as unknown[]) : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).filter((v) => v !== '');

export class ListAccountsQueryDto extends OwnerFreeQuery {
  @ApiPropertyOptional({ description: 'Provider keys (repeat the parameter or separate with commas)', type: [String], example: ['hibob'] })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(PROVIDER_KEY_PATTERN, { each: true, message: 'each provider must be a provider key' })
  providers?: string[];

  @ApiPropertyOptional({ description: 'Account statuses', enum: ACCOUNT_STATUSES, isArray: true, example: ['active'] })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @IsIn(ACCOUNT_STATUSES, { each: true, message: `each status must be one of: ${ACCOUNT_STATUSES.join(', ')}` })
  status?: (typeof ACCOUNT_STATUSES)[number][];

  @ApiPropertyOptional({
    description: 'Only accounts in these health states (repeat the parameter or separate with commas); filters the page StackOne answers, so a page may hold fewer than pageSize',
    enum: HEALTH_STATES,
    isArray: true,
    example: ['healthy'],
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @IsIn(HEALTH_STATES, { each: true, message: `each health must be one of: ${HEALTH_STATES.join(', ')}` })
  health?: HealthState[];

  @ApiPropertyOptional({ description: 'Page number (from 1)', example: 1, minimum: 1 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ description: `Page size (1 to ${PAGE_SIZE.max}, default ${PAGE_SIZE.default})`, example: 25, minimum: 1, maximum: PAGE_SIZE.max })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(PAGE_SIZE.max)
  pageSize?: number;
}
