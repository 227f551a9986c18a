import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STACKONE_CATEGORIES, StackOneCategory } from '../../stackone/stackone.categories';
import { AccountAction } from './connect-session.response.dto';

export const SESSION_STATUSES = ['pending', 'completed', 'expired'] as const;

/** What the service knows about one of your sessions. Never its token or hosted link. */
export class SessionStatusResponseDto {
  @ApiProperty({ description: "StackOne's session id.", example: '1234' })
  sessionId: string;

  @ApiProperty({
    description: 'pending: not finished yet; completed: the account it was made for was created, or the account it was opened to update was updated (never by an edit of this service\'s own; see docs/sessions.md); expired: its expiresAt passed first.',
    enum: SESSION_STATUSES,
    example: 'completed',
  })
  status: (typeof SESSION_STATUSES)[number];

  @ApiPropertyOptional({ description: 'The provider asked for (for a re-link, the account\'s provider; for a completed provider-less session, the provider that was connected).', example: 'hibob' })
  provider?: string;

  @ApiPropertyOptional({ description: 'Categories offered.', enum: STACKONE_CATEGORIES, isArray: true, example: ['hris'] })
  categories?: StackOneCategory[];

  @ApiPropertyOptional({
    description: 'Completed: the account that was created or updated. Pending or expired: the account it was going to update, if any.',
    example: '46132201201510402136',
  })
  accountId?: string;

  @ApiPropertyOptional({
    description: "Completed: what happened ('create' for account.created, 'update' for account.updated). Otherwise: what completing it was expected to do.",
    enum: ['create', 'update'],
    example: 'create',
  })
  accountAction?: AccountAction;

  @ApiPropertyOptional({ description: 'Label asked for.', example: 'Acme production HiBob' })
  label?: string;

  @ApiProperty({ example: '2026-11-24T12:00:00.000Z', format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-24T12:30:00.000Z', format: 'date-time' })
  expiresAt: string;

  @ApiPropertyOptional({ description: 'When the account event that completed it happened.', example: '2026-11-24T12:04:10.000Z', format: 'date-time' })
  completedAt?: string;
}

export class SessionListResponseDto {
  @ApiProperty({ type: [SessionStatusResponseDto], description: 'This page of your sessions, newest first' })
  data: SessionStatusResponseDto[];

  @ApiProperty({ description: 'The page number (from 1)', example: 1 })
  page: number;

  @ApiProperty({ description: 'The page size used', example: 25 })
  pageSize: number;

  @ApiProperty({ description: 'Whether at least one more session matches after this page (ask for page + 1)', example: false })
  hasMore: boolean;
}
