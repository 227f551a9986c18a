import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HEALTH_STATES, HealthState } from '../../account-health/health';

class AccountStatusReasonDto {
  @ApiPropertyOptional({ example: 'credentials_expired' }) code?: string;
  @ApiPropertyOptional({ example: 'The API key was revoked' }) description?: string;
  @ApiProperty({ example: '2026-11-24T12:00:00.000Z', format: 'date-time' }) timestamp: string;
}

class AccountHealthReasonDto {
  @ApiPropertyOptional({ example: 'invalid_credentials' }) code?: string;
  @ApiPropertyOptional({ example: 'The API key was revoked' }) description?: string;
}

/** What the account's status means for you: whether data flows, and who can fix it. */
export class AccountHealthDto {
  @ApiProperty({
    enum: HEALTH_STATES,
    description:
      "`healthy` (StackOne status `active`); `broken` (`error`, `expired`: your customer must re-link it, a connect session with this accountId); `paused` (`suspended`, `inactive`: an operator's or StackOne's action, re-linking will not help); `unknown` (any other status, shown as StackOne gives it)",
    example: 'broken',
  })
  state: HealthState;

  @ApiProperty({
    format: 'date-time',
    description: "When the account entered this state: the newest status_reasons timestamp when StackOne gives one, else when this service first saw it in that state",
    example: '2026-11-24T12:00:00.000Z',
  })
  since: string;

  @ApiProperty({ type: [AccountHealthReasonDto], description: "StackOne's status reasons (code and description only, at most 5, each at most 200 characters)" })
  reasons: AccountHealthReasonDto[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Only while `broken`: a re-link session of this account completed at this time, and the account is still broken (re-linking did not repair it)',
    example: '2026-11-24T12:30:00.000Z',
  })
  relinkedAt?: string;
}

/** A linked account, built from an allow-list of StackOne's fields: credentials and setup information never appear. */
export class AccountResponseDto {
  @ApiProperty({ description: "StackOne's account id", example: '46132201201510402136' })
  id: string;

  @ApiProperty({ description: 'Provider key', example: 'hibob' })
  provider: string;

  @ApiPropertyOptional({ description: 'Provider display name', example: 'HiBob' })
  providerName?: string;

  @ApiProperty({
    description: "StackOne's account status, as StackOne gives it: an open set (known today: active, inactive, suspended, archived, expired, error); `health` says what it means",
    example: 'active',
  })
  status: string;

  @ApiPropertyOptional({ type: [AccountStatusReasonDto], description: 'Why the account is not active' })
  statusReasons?: AccountStatusReasonDto[];

  @ApiProperty({ description: 'Your tenant id (origin_owner_id)', example: 'org_acme' })
  originOwnerId: string;

  @ApiProperty({ description: 'Your tenant name (origin_owner_name)', example: 'Acme Inc' })
  originOwnerName: string;

  @ApiPropertyOptional({ description: 'Who connected it', example: 'jane@acme.example' })
  originUsername?: string;

  @ApiPropertyOptional({ description: 'Label', example: 'Acme production HiBob' })
  label?: string;

  @ApiPropertyOptional({ description: 'Account type', enum: ['production', 'test'], example: 'production' })
  type?: 'production' | 'test';

  @ApiPropertyOptional({ description: 'Metadata stored on the account', example: { plan: 'enterprise' }, type: 'object', additionalProperties: true })
  metadata?: Record<string, unknown>;

  @ApiProperty({ type: AccountHealthDto })
  health: AccountHealthDto;

  @ApiProperty({ example: '2026-11-24T12:00:00.000Z', format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-24T12:05:00.000Z', format: 'date-time' })
  updatedAt: string;
}

/** One page of the tenant's accounts. */
export class AccountListResponseDto {
  @ApiProperty({ type: [AccountResponseDto], description: "This page of your tenant's accounts" })
  data: AccountResponseDto[];

  @ApiProperty({ description: 'The page number (from 1)', example: 1 })
  page: number;

  @ApiProperty({ description: 'The page size used', example: 25 })
  pageSize: number;

  @ApiProperty({ description: 'Whether StackOne has at least one more account after this page (ask for page + 1)', example: false })
  hasMore: boolean;
}
