import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FEED_EVENT_TYPES, FeedEventType } from '../feed-event';

class FeedEventReasonDto {
  @ApiPropertyOptional({ example: 'invalid_credentials' }) code?: string;
  @ApiPropertyOptional({ example: 'The API key was revoked' }) description?: string;
}

export class FeedEventDataDto {
  @ApiProperty({ example: 'org_acme' }) tenantId!: string;
  @ApiPropertyOptional({ example: 'Acme Inc' }) tenantName?: string;
  @ApiPropertyOptional({ example: '46132201201510402136' }) accountId?: string;
  @ApiPropertyOptional({ example: 'hibob' }) provider?: string;
  @ApiPropertyOptional({ description: "connect_session.*: the session status the event reports; account.broken: StackOne's account status", example: 'completed' }) status?: string;
  @ApiPropertyOptional({ example: 'Acme HiBob' }) label?: string;
  @ApiPropertyOptional({ example: 'cs_8f2a1c' }) sessionId?: string;
  @ApiPropertyOptional({ type: [FeedEventReasonDto], description: "account.broken: StackOne's status reasons (at most 5)" }) reasons?: FeedEventReasonDto[];
  @ApiPropertyOptional({ description: "account.broken: the provider has an open incident (many accounts broke at once): hold your \"please reconnect\" prompts", example: false })
  providerIncident?: boolean;
  @ApiPropertyOptional({ description: 'account.recovered: when the account broke (ISO 8601)', example: '2026-11-25T18:00:00.000Z' }) brokenSince?: string;
  @ApiPropertyOptional({ description: 'account.recovered: how long it was broken, in seconds', example: 6371 }) brokenForSeconds?: number;
}

export class FeedEventDto {
  @ApiProperty({ description: 'Position in your feed; usable as `after`', example: '1764100000000-0' }) id!: string;
  @ApiProperty({ enum: FEED_EVENT_TYPES, example: 'account.created' }) type!: FeedEventType;
  @ApiProperty({ description: 'When it happened (ISO 8601)', example: '2026-11-25T19:46:11.000Z' }) timestamp!: string;
  @ApiProperty({ type: FeedEventDataDto }) data!: FeedEventDataDto;
}

export class EventListResponseDto {
  @ApiProperty({ type: [FeedEventDto], description: 'Oldest first' }) data!: FeedEventDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `after` to read on: the last returned id, or your `after` when nothing new (null when you gave none and there is nothing)',
    example: '1764100000000-0',
  })
  nextCursor!: string | null;
}
