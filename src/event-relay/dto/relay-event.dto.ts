import { ApiProperty } from '@nestjs/swagger';
import { FeedEventDataDto } from '../../events/dto/feed-event.response.dto';
import { FEED_EVENT_TYPES, FeedEventType } from '../../events/feed-event';

/** Documents what EVENT_SUBSCRIBERS receive (no route of this service returns it). */
export class RelayEventDto {
  @ApiProperty({ enum: FEED_EVENT_TYPES, example: 'account.created' }) type!: FeedEventType;
  @ApiProperty({ description: 'When it happened (ISO 8601)', example: '2026-11-25T19:46:11.000Z' }) timestamp!: string;
  @ApiProperty({ type: FeedEventDataDto, description: 'Ids and labels only, never credentials or tokens' }) data!: FeedEventDataDto;
}

export const RELAY_EVENT_DESCRIPTION =
  '\n\n**Events to internal subscribers.** Services listed in EVENT_SUBSCRIBERS receive each event they filter for as ' +
  '`POST <url>` with a JSON body of schema `RelayEventDto` ({ type, timestamp, data }), signed per Standard Webhooks ' +
  '(headers `webhook-id`, `webhook-timestamp`, `webhook-signature`; verify with any Standard Webhooks library). ' +
  '`webhook-id` is the same for every attempt of one event; answer 2xx once handled. Anything else is retried with ' +
  'exponential backoff for about a day, then dead-lettered. The same events can be polled from GET /v1/events.';
