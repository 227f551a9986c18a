import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { STACKONE_CATEGORIES, StackOneCategory } from '../../stackone/stackone.categories';
import { PROVIDER_KEY_PATTERN } from '../../providers/provider-key';
import { ACCOUNT_ID_PATTERN, IsAbsent, IsFlatMetadata, KeepOwnKeys } from '../../common/validators';
import { OWNER_FROM_CREDENTIALS } from '../../common/request-validation.error';

export const EXPIRES_IN_BOUNDS = { min: 60, max: 2_592_000, default: 1800 } as const;

/** A StackOne connector profile id: an opaque id, so only characters safe in a URL path segment or a log line. */
export const CONNECTOR_PROFILE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const ownerAbsent = { message: OWNER_FROM_CREDENTIALS };

/**
 * Named request examples for Swagger UI. The first is what "Try it out" sends as-is: it names no
 * account, provider or category, so it succeeds for any tenant under any allow-list.
 */
export const CREATE_CONNECT_SESSION_EXAMPLES: Record<string, { summary: string; description: string; value: Record<string, unknown> }> = {
  'new connection': {
    summary: 'New connection',
    description: 'The hub offers every provider you may connect.',
    value: { label: 'Acme HR', expiresIn: 1800 },
  },
  'new connection to one provider': {
    summary: 'New connection to one provider',
    description: 'The hub opens straight on that provider (it must be enabled for this service).',
    value: { provider: 'hibob', label: 'Acme HiBob', expiresIn: 1800 },
  },
  're-link an account': {
    summary: 'Re-link an account',
    description: 'Put the id of one of your accounts (GET /v1/accounts) in accountId; the hub opens it in edit mode.',
    value: { accountId: '46132201201510402136', label: 'Acme HiBob' },
  },
};

/** POST /v1/connect-sessions body. The owner is not here on purpose: it comes from the credentials. */
export class CreateConnectSessionDto {
  @ApiPropertyOptional({
    description: "Who is connecting (e-mail or user name). Defaults to the credential's username claim.",
    example: 'jane.doe@acme.example',
    maxLength: 256,
  })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  originUsername?: string;

  @ApiPropertyOptional({
    description: 'Provider key; the hub opens straight on that provider. Must be enabled in the StackOne project.',
    example: 'hibob',
    pattern: PROVIDER_KEY_PATTERN.source,
  })
  @IsOptional()
  @IsString()
  @Matches(PROVIDER_KEY_PATTERN, { message: 'provider must be a provider key (lower-case letters, digits, _ and -)' })
  provider?: string;

  @ApiPropertyOptional({
    description:
      'Deprecated by StackOne, which says it "no longer determines which connector version is used for the session and can cause session creation to fail. Omit this field." Still accepted and passed on as sent; use connectorProfileId to choose a connector profile.',
    example: '1.0.0',
    maxLength: 32,
    deprecated: true,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,32}$/, { message: 'providerVersion must be 1-32 letters, digits, . _ or -' })
  providerVersion?: string;

  @ApiPropertyOptional({
    description:
      "StackOne's connector profile to route the session to, when not the connector's default (e.g. a profile made for a connector's new major version). Sent as StackOne's connector_profile_id, never as its deprecated alias integration_id.",
    example: 'cp_hibob_v2',
    pattern: CONNECTOR_PROFILE_ID_PATTERN.source,
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @Matches(CONNECTOR_PROFILE_ID_PATTERN, { message: 'connectorProfileId must be 1-128 letters, digits, . _ : or -' })
  connectorProfileId?: string;

  @ApiPropertyOptional({
    description: 'Categories to offer; the hub opens on the category picker.',
    enum: STACKONE_CATEGORIES,
    isArray: true,
    example: ['hris', 'ats'],
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(STACKONE_CATEGORIES.length)
  @IsIn(STACKONE_CATEGORIES, { each: true, message: `each value in categories must be one of: ${STACKONE_CATEGORIES.join(', ')}` })
  categories?: StackOneCategory[];

  @ApiPropertyOptional({
    description: "Re-link an existing account of yours: the hub opens that account in edit mode. A provider sent with it must be the account's own (400 otherwise).",
    example: '46132201201510402136',
    pattern: ACCOUNT_ID_PATTERN.source,
  })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT_ID_PATTERN, { message: 'accountId must be 1-64 letters, digits, _ or -' })
  accountId?: string;

  @ApiPropertyOptional({ description: 'Free text stored on the account.', example: 'Acme production HiBob', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  label?: string;

  @ApiPropertyOptional({
    description: 'Allow several accounts for the same owner and provider (ignored when accountId is set).',
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  multiple?: boolean;

  @ApiPropertyOptional({
    description: 'Flat key/values stored on the account (string, number or boolean values; at most 50 keys, 4 KiB).',
    example: { plan: 'enterprise', seats: 250 },
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  })
  @IsOptional()
  @KeepOwnKeys()
  @IsFlatMetadata()
  metadata?: Record<string, string | number | boolean>;

  @ApiPropertyOptional({
    description: `Session lifetime in seconds (${EXPIRES_IN_BOUNDS.min} to ${EXPIRES_IN_BOUNDS.max}; StackOne's default is ${EXPIRES_IN_BOUNDS.default}).`,
    example: 1800,
    minimum: EXPIRES_IN_BOUNDS.min,
    maximum: EXPIRES_IN_BOUNDS.max,
  })
  @IsOptional()
  @IsInt()
  @Min(EXPIRES_IN_BOUNDS.min)
  @Max(EXPIRES_IN_BOUNDS.max)
  expiresIn?: number;

  @ApiPropertyOptional({ description: 'Account type.', enum: ['production', 'test'], example: 'production' })
  @IsOptional()
  @IsIn(['production', 'test'])
  type?: 'production' | 'test';

  // The owner in any spelling is refused with a message saying where it comes from.
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerId?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) originOwnerName?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_id?: unknown;
  @ApiHideProperty() @ValidateIf(() => true) @IsAbsent(ownerAbsent) origin_owner_name?: unknown;
}
