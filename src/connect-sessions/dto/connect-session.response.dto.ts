import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STACKONE_CATEGORIES, StackOneCategory } from '../../stackone/stackone.categories';

export type AccountAction = 'create' | 'update';

/** 201 answer of POST /v1/connect-sessions. Carries the session token; never any credential. */
export class ConnectSessionResponseDto {
  @ApiProperty({ description: 'The connect-session token the StackOne hub needs.', example: 'eyJhbGciOi...' })
  token: string;

  @ApiProperty({ description: 'When the token expires (created_at + expiresIn).', example: '2026-11-24T12:30:00.000Z', format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ description: 'Hosted page that completes the same session (can be e-mailed).', example: 'https://app.stackone.com/connect?token=...' })
  authLinkUrl: string;

  @ApiProperty({ description: "StackOne's session id.", example: '1234' })
  sessionId: string;

  @ApiProperty({ description: 'The tenant the account will belong to (from your credentials).', example: 'org_8f2a' })
  originOwnerId: string;

  @ApiProperty({ description: "The tenant's display name (from your credentials).", example: 'Acme Inc' })
  originOwnerName: string;

  @ApiPropertyOptional({ description: 'Who is connecting.', example: 'jane.doe@acme.example' })
  originUsername?: string;

  @ApiPropertyOptional({ description: 'Preselected provider.', example: 'hibob' })
  provider?: string;

  @ApiPropertyOptional({ description: 'Categories offered.', enum: STACKONE_CATEGORIES, isArray: true, example: ['hris'] })
  categories?: StackOneCategory[];

  @ApiPropertyOptional({
    description: 'The account this session will update: the re-link target, or your existing account for this provider.',
    example: '46132201201510402136',
  })
  accountId?: string;

  @ApiPropertyOptional({
    description:
      "What completing the session will do: 'update' an existing account (accountId says which) or 'create' a new one. Present whenever provider or accountId is given.",
    enum: ['create', 'update'],
    example: 'create',
  })
  accountAction?: AccountAction;

  @ApiPropertyOptional({ description: "The connector profile StackOne routes the session to, when it says so (echo of connectorProfileId).", example: 'cp_hibob_v2' })
  connectorProfileId?: string;

  @ApiPropertyOptional({ description: 'Label stored on the account.', example: 'Acme production HiBob' })
  label?: string;

  @ApiPropertyOptional({ description: 'Account type.', enum: ['production', 'test'], example: 'production' })
  type?: 'production' | 'test';

  @ApiPropertyOptional({ description: 'Metadata stored on the account.', example: { plan: 'enterprise' }, type: 'object', additionalProperties: true })
  metadata?: Record<string, unknown>;

  @ApiProperty({ description: 'When StackOne created the session.', example: '2026-11-24T12:00:00.000Z', format: 'date-time' })
  createdAt: string;
}
